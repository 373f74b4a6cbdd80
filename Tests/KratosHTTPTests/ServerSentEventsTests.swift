import Foundation
import Kratos
import KratosTestSupport
import NIOCore
import Synchronization
import Testing
@testable import KratosHTTP

/// Server streams over HTTP as Server-Sent Events, on a real server: events in order, errors as
/// the final `event: error`, cancellation when the client leaves, back-pressure on a slow
/// reader, no unary timeout, graceful stop, pipelining, HTTP/1.0.
@Suite struct ServerSentEventsTests {
    typealias Reply = Kratos_Test_V1_HelloReply

    static func events(_ messages: [String]) -> String {
        messages.map { "data: {\"message\":\"\($0)\"}\n\n" }.joined()
    }

    @Test func everyMessageArrivesAsAnEventInOrderThroughTheGeneratedRoutes() async throws {
        let server = loopbackServer()
        try SSEGreeter().register(on: server)
        try await withServer(server) { endpoint in
            let reply = try await curl(endpoint + "/helloworld/kratos/spell")
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"] == "text/event-stream")
            #expect(reply.headers["cache-control"] == "no-cache")
            #expect(reply.headers["transfer-encoding"] == "chunked")
            #expect(reply.text == Self.events(["k", "r", "a", "t", "o", "s"]))

            // The additional binding: POST with the request as the body.
            let posted = try await curl("-X", "POST", "-H", "content-type: application/json", "-d", #"{"name":"sse"}"#, endpoint + "/v1/spell")
            #expect(posted.status == 200)
            #expect(posted.text == Self.events(["s", "s", "e"]))
        }
    }

    @Test func aThousandMessagesArriveInOrder() async throws {
        let server = loopbackServer()
        try server.serverStreaming(.GET, "/count/{name}", operation: "/test.SSE/Count") { (request: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Reply>, _) in
            let count = Int(request.name) ?? 0
            for index in 1...max(count, 1) { try await writer.write(.with { $0.message = "\(index)" }) }
        }
        try await withServer(server) { endpoint in
            let reply = try await curl(endpoint + "/count/1000")
            #expect(reply.status == 200)
            #expect(reply.text == Self.events((1...1000).map(String.init)))
        }
    }

    @Test func anErrorEndsTheStreamAsTheFinalErrorEvent() async throws {
        let server = loopbackServer()
        try SSEGreeter().register(on: server)
        try await withServer(server) { endpoint in
            let error = #"{"code":400,"reason":"UNSPELLABLE","message":"cannot spell !","metadata":{"at":"!"}}"#
            let midStream = try await curl(endpoint + "/helloworld/ab!c/spell")
            #expect(midStream.status == 200)
            #expect(midStream.text == Self.events(["a", "b"]) + "event: error\ndata: \(error)\n\n")
            // Before the first message: the same, as the only event.
            let first = try await curl(endpoint + "/helloworld/!/spell")
            #expect(first.status == 200 && first.headers["content-type"] == "text/event-stream")
            #expect(first.text == "event: error\ndata: \(error)\n\n")
            // A request that does not bind is refused before the stream starts.
            let bad = try await curl("-X", "POST", "-H", "content-type: application/json", "-d", "{", endpoint + "/v1/spell")
            #expect(bad.status == 400)
        }
    }

    @Test func middlewareRunsOnceAroundTheStreamAndItsErrorsBecomeErrorEvents() async throws {
        let inspect = Inspect()
        let server = loopbackServer(middleware: [Recovery(), inspect])
        try SSEGreeter().register(on: server)
        try await withServer(server) { endpoint in
            let reply = try await curl("-H", "x-md-global-user: ann", endpoint + "/helloworld/ok/spell")
            #expect(reply.text == Self.events(["o", "k"]))
            #expect(reply.headers["x-inspected"] == "yes")
            #expect(inspect.seen.withLock { $0 } == ["/kratos.test.v1.Greeter/Spell StreamingRequest -> StreamingReply"])
            let refused = try await curl(endpoint + "/helloworld/ok/spell")
            #expect(refused.text == #"event: error\#ndata: {"code":401,"reason":"NO_USER","message":"who are you","metadata":{}}\#n\#n"#)
        }
    }

    @Test func closingTheConnectionCancelsTheHandler() async throws {
        let greeter = SSEGreeter()
        let outcome = Outcome()
        let server = loopbackServer(middleware: [Recovery(), outcome])
        try greeter.register(on: server)
        try await withServer(server) { endpoint in
            let reply = try await RawConnection.exchange(endpoint, "GET /helloworld/forever/spell HTTP/1.1\r\nHost: x\r\n\r\n") {
                $0.contains("data: {\"message\":\"tick 3\"}")
            }
            #expect(reply.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            // The connection is closed by now (RawConnection.exchange closes it on return).
            try await greeter.probe.wait(for: .cancelled)
        }
        // Middleware saw the cancellation as 499, not as a failure of the handler (500).
        let code = try await Deadline.run(within: .seconds(10)) { [ended = outcome.ended] in
            for await code in ended { return code }
            return 0
        }
        #expect(code == 499)
    }

    @Test func aSlowReaderSuspendsTheProducer() async throws {
        let probe = StreamProbe()
        let server = loopbackServer()
        try server.serverStreaming(.GET, "/flood", operation: "/test.SSE/Flood") { (_: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Reply>, _) in
            try await probe.runForever(writer, size: 64 << 10, pause: .zero)
        }
        try await withServer(server) { endpoint in
            try await RawConnection.with(endpoint) { connection in
                try await connection.send("GET /flood HTTP/1.1\r\nHost: x\r\n\r\n")
                try await probe.wait(for: .started)
                // Never read: once the socket buffers are full the producer must stop.
                let (count, stopped) = try await probe.settledCount()
                #expect(stopped, "the producer never stopped: \(count) messages of 64 KiB")
                // The socket buffers and the client's hold a few MiB (about 70 messages here); with
                // nothing holding the producer back it would make thousands.
                #expect(count < 200, "\(count) messages of 64 KiB were produced while nobody read")
            }
            try await probe.wait(for: .cancelled)
        }
    }

    @Test func theUnaryTimeoutDoesNotCutAStream() async throws {
        let server = loopbackServer(timeout: .milliseconds(200))
        try server.serverStreaming(.GET, "/slow", operation: "/test.SSE/Slow") { (_: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Reply>, context) in
            #expect(context.deadline == nil)
            for index in 1...5 {
                try await Task.sleep(for: .milliseconds(120))
                try await writer.write(.with { $0.message = "\(index)" })
            }
        }
        try await withServer(server) { endpoint in
            let reply = try await curl(endpoint + "/slow")
            #expect(reply.status == 200)
            #expect(reply.text == Self.events(["1", "2", "3", "4", "5"]))
        }
    }

    @Test func aRequestPipelinedBehindAStreamWaitsItsTurn() async throws {
        let server = loopbackServer()
        try SSEGreeter().register(on: server)
        try await withServer(server) { endpoint in
            let reply = try await RawConnection.exchange(endpoint,
                "GET /helloworld/ab/spell HTTP/1.1\r\nHost: x\r\n\r\nGET /helloworld/next HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(reply.closedByServer)
            let end = try #require(reply.text.range(of: "0\r\n\r\n"))
            let unary = try #require(reply.text.range(of: "{\"message\":\"Hello next\"}"))
            #expect(end.upperBound <= unary.lowerBound)
            #expect(reply.text.contains("data: {\"message\":\"a\"}\n\n"))
            #expect(reply.text.contains("data: {\"message\":\"b\"}\n\n"))
        }
    }

    @Test func http10StreamsUntilTheConnectionCloses() async throws {
        let server = loopbackServer()
        try SSEGreeter().register(on: server)
        try await withServer(server) { endpoint in
            let reply = try await RawConnection.exchange(endpoint, "GET /helloworld/ab/spell HTTP/1.0\r\n\r\n")
            #expect(reply.closedByServer)
            #expect(reply.text.hasPrefix("HTTP/1.0 200 OK\r\n"))
            #expect(!reply.text.lowercased().contains("transfer-encoding"))
            #expect(reply.text.lowercased().contains("connection: close\r\n"))
            #expect(reply.text.hasSuffix("\r\n\r\n" + Self.events(["a", "b"])))
        }
    }

    @Test func headSendsTheHeadAlone() async throws {
        let server = loopbackServer()
        try SSEGreeter().register(on: server)
        try await withServer(server) { endpoint in
            let reply = try await RawConnection.exchange(endpoint, "HEAD /helloworld/ab/spell HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(reply.closedByServer)
            #expect(reply.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(reply.text.contains("content-type: text/event-stream\r\n"))
            #expect(reply.text.hasSuffix("\r\n\r\n") && !reply.text.contains("data:"))
        }
    }

    @Test func aGracefulStopEndsTheStream() async throws {
        let greeter = SSEGreeter()
        let server = loopbackServer()
        try greeter.register(on: server)
        let endpoint = try await server.bind()
        let running = Task { try await server.run() }
        let reply = try await RawConnection.with(endpoint) { connection in
            try await connection.send("GET /helloworld/forever/spell HTTP/1.1\r\nHost: x\r\n\r\n")
            try await greeter.probe.wait(for: .started)
            await server.shutdown()
            try await connection.read { _ in false }
            return RawConnection.Reply(text: connection.received, closedByServer: connection.closedByServer)
        }
        _ = await running.result
        #expect(reply.closedByServer)
        #expect(reply.text.contains("event: error\ndata: {\"code\":503,\"reason\":\"SERVER_STOPPING\""))
        #expect(reply.text.hasSuffix("0\r\n\r\n"))
    }

    @Test func inProcessTheEventsAreOneReply() async throws {
        let server = loopbackServer()
        try SSEGreeter().register(on: server)
        let reply = await server.respondInProcess(.init(version: .http1_1, method: .GET, uri: "/helloworld/a!/spell"), body: nil)
        #expect(reply.headers.first(name: "content-type") == "text/event-stream")
        #expect(String(buffer: reply.body ?? ByteBuffer()).hasPrefix(Self.events(["a"]) + "event: error\n"))
    }

    @Test func eventDataIsSplitIntoLines() {
        let framed = ServerSentEvents.event("note", data: Array("one\ntwo\r\nthree\rfour".utf8))
        #expect(String(buffer: framed) == "event: note\ndata: one\ndata: two\ndata: three\ndata: four\n\n")
        #expect(String(buffer: ServerSentEvents.event(data: [])) == "data: \n\n")
    }
}

/// Records what middleware sees of a stream, adds a reply header, and refuses requests without
/// a user in the metadata.
private final class Inspect: Middleware, Sendable {
    let seen = Mutex<[String]>([])

    func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        guard context.metadata["x-md-global-user"] != nil else { throw KratosError.unauthorized("NO_USER", "who are you") }
        context.setReplyHeader("x-inspected", "yes")
        let reply = try await next(request, context)
        seen.withLock { $0.append("\(context.operation) \(type(of: request)) -> \(type(of: reply))") }
        return reply
    }
}

/// The generated SSE routes read by Python's httpx + httpx-sse (PyPI), Python/sse_client.py.
@Suite struct ServerSentEventsPythonTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/sse_client.py").path

    @Test func httpxSSEReadsEveryMessageAndTheFinalErrorEvent() async throws {
        let greeter = SSEGreeter()
        let server = loopbackServer()
        try greeter.register(on: server)
        try await withServer(server) { endpoint in
            let run = try await runProcess("/usr/bin/env", ["python3", Self.script, endpoint])
            #expect(run.status == 0, "\(String(decoding: run.stderr, as: UTF8.self))")
            let result = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any] ?? [:]
            #expect(result["content_type"] as? String == "text/event-stream")
            #expect(result["spell"] as? [String] == ["p", "y", "t", "h", "o", "n"])
            #expect(result["posted"] as? [String] == ["s", "s", "e"])
            #expect(result["before_error"] as? [String] == ["a", "b"])
            #expect(result["last_event"] as? String == "error")
            let error = result["error"] as? [String: Any] ?? [:]
            #expect(error["code"] as? Int == 400)
            #expect(error["reason"] as? String == "UNSPELLABLE")
            #expect(error["message"] as? String == "cannot spell !")
            #expect(error["metadata"] as? [String: String] == ["at": "!"])
            #expect(result["ticks"] as? [String] == ["tick 1", "tick 2", "tick 3"])
            // Python left the stream: the handler was cancelled.
            try await greeter.probe.wait(for: .cancelled)
        }
    }
}

/// Records the code each stream ended with, as a logging or metrics middleware would.
private final class Outcome: Middleware, Sendable {
    let ended: AsyncStream<Int>
    private let continuation: AsyncStream<Int>.Continuation

    init() {
        (ended, continuation) = AsyncStream.makeStream(of: Int.self)
    }

    func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        do {
            let reply = try await next(request, context)
            continuation.yield(200)
            return reply
        } catch {
            continuation.yield(KratosError(error).code)
            throw error
        }
    }
}
