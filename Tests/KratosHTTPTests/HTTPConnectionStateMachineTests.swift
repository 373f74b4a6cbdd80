import Kratos
import NIOCore
import NIOHTTP1
import Testing
@testable import KratosHTTP

/// The connection's decisions, event by event, with no socket.
@Suite struct HTTPConnectionStateMachineTests {
    typealias Machine = HTTPConnectionStateMachine

    func head(_ uri: String, _ headers: HTTPHeaders = [:], version: HTTPVersion = .http1_1) -> HTTPRequestHead {
        HTTPRequestHead(version: version, method: .POST, uri: uri, headers: headers)
    }

    /// The id of the request `next()` starts, or nil when it does something else.
    func started(_ machine: inout Machine) -> (id: UInt64, uri: String, body: String?)? {
        guard case .start(let id, let head, let body) = machine.next() else { return nil }
        return (id, head.uri, body.map { String(buffer: $0) })
    }

    func refusal(_ machine: inout Machine) -> KratosError? {
        guard case .refuse(let error, _) = machine.next() else { return nil }
        return error
    }

    @Test func aRequestIsStartedOnceCompleteAndFinishedOnce() {
        var machine = Machine(maxBodySize: 100)
        #expect(machine.receivedHead(head("/a")) == .nothing)
        #expect(machine.receivedBody(ByteBuffer(string: "he")) == .nothing)
        #expect(machine.receivedBody(ByteBuffer(string: "llo")) == .nothing)
        #expect(machine.isBusy)
        #expect(machine.receivedEnd() == .serveQueued)
        let first = started(&machine)
        #expect(first?.uri == "/a" && first?.body == "hello")
        #expect(machine.finished(id: 99) == nil, "a stale id ends nothing")
        #expect(machine.finished(id: first?.id ?? 0)?.uri == "/a")
        #expect(machine.finished(id: first?.id ?? 0) == nil, "finished once")
        guard case .wait = machine.next() else { Issue.record("nothing should wait"); return }
        #expect(!machine.isBusy)
    }

    @Test func pipelinedRequestsWaitTheirTurnAndHoldReadsBack() {
        var machine = Machine(maxBodySize: 100)
        for uri in ["/1", "/2"] {
            _ = machine.receivedHead(head(uri))
            _ = machine.receivedEnd()
        }
        let first = started(&machine)
        #expect(first?.uri == "/1")
        guard case .wait = machine.next() else { Issue.record("the second must wait for the first"); return }
        let readsNow = machine.readRequested()
        #expect(!readsNow, "a read is held back while a request waits")
        _ = machine.finished(id: first?.id ?? 0)
        let second = started(&machine)
        #expect(second?.uri == "/2" && second?.id != first?.id)
        _ = machine.finished(id: second?.id ?? 0)
        guard case .read = machine.next() else { Issue.record("the held read resumes"); return }
        let readsLater = machine.readRequested()
        #expect(readsLater)
    }

    @Test func aDeclaredBodyOverTheLimitIsRefused413AndEndsTheStream() {
        var machine = Machine(maxBodySize: 4)
        #expect(machine.receivedHead(head("/big", ["content-length": "5"])) == .serveQueued)
        #expect(machine.broken)
        #expect(refusal(&machine)?.code == 413)
        #expect(machine.receivedBody(ByteBuffer(string: "more")) == .nothing)
        #expect(machine.receivedEnd() == .nothing)
    }

    @Test func aStreamedBodyOverTheLimitIsRefused413() {
        var machine = Machine(maxBodySize: 4)
        _ = machine.receivedHead(head("/big"))
        #expect(machine.receivedBody(ByteBuffer(string: "abc")) == .nothing)
        #expect(machine.receivedBody(ByteBuffer(string: "de")) == .serveQueued)
        #expect(refusal(&machine)?.reason == "PAYLOAD_TOO_LARGE")
    }

    @Test func continueIsSentOnlyWhenTheRequestIsNext() {
        var machine = Machine(maxBodySize: 100)
        #expect(machine.receivedHead(head("/a", ["expect": "100-Continue"])) == .sendContinue)
        _ = machine.receivedEnd()
        _ = started(&machine)
        #expect(machine.receivedHead(head("/b", ["expect": "100-continue"])) == .nothing, "not while /a is answered")
        var old = Machine(maxBodySize: 100)
        #expect(old.receivedHead(head("/a", ["expect": "100-continue"], version: .http1_0)) == .nothing)
    }

    @Test func aMalformedRequestBehindAGoodOneIsRefusedInItsTurn() {
        var machine = Machine(maxBodySize: 100)
        _ = machine.receivedHead(head("/good"))
        _ = machine.receivedEnd()
        let good = started(&machine)
        #expect(machine.malformed(HTTPParserError.invalidMethod) == .serveQueued)
        guard case .wait = machine.next() else { Issue.record("the refusal waits for /good"); return }
        _ = machine.finished(id: good?.id ?? 0)
        let error = refusal(&machine)
        #expect(error?.code == 400 && error?.reason == "BAD_REQUEST")
        #expect(machine.malformed(HTTPParserError.invalidMethod) == .nothing, "answered once")
    }

    @Test func aStalledRequestIsRefused408AndOnlyWhileReceiving() {
        var machine = Machine(maxBodySize: 100)
        #expect(machine.readTimedOut(after: .milliseconds(200)) == .nothing)
        _ = machine.receivedHead(head("/slow"))
        #expect(machine.readTimedOut(after: .milliseconds(200)) == .serveQueued)
        let error = refusal(&machine)
        #expect(error?.code == 408 && error?.message.contains("200 ms") == true)
    }

    @Test func stoppingClosesIdleConnectionsAndMakesTheNextReplyTheLast() {
        var idle = Machine(maxBodySize: 100)
        let closesIdle = idle.quiesce()
        #expect(closesIdle)
        var busy = Machine(maxBodySize: 100)
        _ = busy.receivedHead(head("/a"))
        _ = busy.receivedEnd()
        _ = started(&busy)
        #expect(!busy.isLastReply(keepAlive: true, replyAsksToClose: false))
        let closesBusy = busy.quiesce()
        #expect(!closesBusy)
        #expect(busy.isLastReply(keepAlive: true, replyAsksToClose: false))
    }

    @Test func theLastReplyClosesAndNothingAfterItIsAnswered() {
        var machine = Machine(maxBodySize: 100)
        #expect(machine.isLastReply(keepAlive: false, replyAsksToClose: false))
        #expect(machine.isLastReply(keepAlive: true, replyAsksToClose: true))
        for uri in ["/1", "/2"] {
            _ = machine.receivedHead(head(uri))
            _ = machine.receivedEnd()
        }
        _ = started(&machine)
        machine.closing()
        _ = machine.finished(id: 1)
        guard case .wait = machine.next() else { Issue.record("/2 is never started"); return }
        #expect(machine.receivedHead(head("/3")) == .nothing)
    }
}
