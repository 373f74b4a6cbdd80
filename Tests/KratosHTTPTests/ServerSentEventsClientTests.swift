import Kratos
import KratosHTTP
import KratosHTTPClient
import KratosTestSupport
import Synchronization
import Testing

/// KratosHTTPClient and the generated typed client reading server streams (Server-Sent Events),
/// and the event parser they share with KratosTesting.
@Suite struct ServerSentEventsClientTests {
    typealias Reply = Kratos_Test_V1_HelloReply

    @Test func theGeneratedClientReadsEveryMessageAndThrowsTheErrorEvent() async throws {
        let greeter = SSEGreeter()
        let server = loopbackServer()
        try greeter.register(on: server)
        try await withServer(server) { endpoint in
            let seen = StreamSeen()
            let client = Kratos_Test_V1_GreeterHTTPClient(KratosHTTPClient(.init(endpoint: endpoint), middleware: [seen]))
            let letters = Mutex<[String]>([])
            try await client.spell(.with { $0.name = "kratos" }) { reply in letters.withLock { $0.append(reply.message) } }
            #expect(letters.withLock { $0 } == ["k", "r", "a", "t", "o", "s"])
            #expect(seen.kinds.withLock { $0 } == ["/kratos.test.v1.Greeter/Spell StreamingRequest -> StreamingReply"])

            letters.withLock { $0 = [] }
            await #expect {
                try await client.spell(.with { $0.name = "ab!c" }) { reply in letters.withLock { $0.append(reply.message) } }
            } throws: { error in
                let kratos = error as? KratosError
                return kratos?.code == 400 && kratos?.reason == "UNSPELLABLE" && kratos?.metadata == ["at": "!"]
            }
            #expect(letters.withLock { $0 } == ["a", "b"])

            // Leaving the stream (onMessage throws) closes it: the server cancels its handler.
            struct Enough: Error {}
            await #expect(throws: Enough.self) {
                try await client.spell(.with { $0.name = "forever" }) { reply in
                    if reply.message == "tick 3" { throw Enough() }
                }
            }
            try await greeter.probe.wait(for: .cancelled)
        }
    }

    @Test func anEventPastTheReplyLimitEndsTheRead() async throws {
        let server = loopbackServer()
        try server.serverStreaming(.GET, "/big", operation: "/test.SSE/Big") { (_: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Reply>, _) in
            try await writer.write(.with { $0.message = "small" })
            try await writer.write(.with { $0.message = String(repeating: "x", count: 64 << 10) })
        }
        try await withServer(server) { endpoint in
            let client = KratosHTTPClient(.init(endpoint: endpoint, maxReplySize: 1024))
            let count = Mutex(0)
            await #expect {
                try await client.serverStreaming(.GET, "/big", operation: "/test.SSE/Big", as: Reply.self) { _ in count.withLock { $0 += 1 } }
            } throws: { ($0 as? KratosError)?.reason == "EVENT_TOO_LARGE" }
            #expect(count.withLock { $0 } == 1)
        }
    }

    @Test func theParserTakesEventsHoweverTheBytesAreSplit() {
        let text = Array(": comment\nevent: note\ndata: one\r\ndata:two\r\rdata: {\"a\":1}\n\nevent: empty\n\nid: 7\ndata: last".utf8)
        var whole = ServerSentEventParser()
        let expected = [ServerSentEvent(name: "note", data: "one\ntwo"), ServerSentEvent(data: #"{"a":1}"#)]
        #expect(whole.feed(text) == expected)
        // Byte by byte, the same events; the last one never ended, so it is not dispatched.
        var split = ServerSentEventParser()
        #expect(text.flatMap { split.feed([$0]) } == expected)
        #expect(split.pendingBytes == "data: last".utf8.count)
        #expect(split.feed(Array("\n\n".utf8)) == [ServerSentEvent(data: "last")])
        #expect(split.pendingBytes == 0)
    }
}

/// Records what client middleware sees of a stream.
private final class StreamSeen: Middleware, Sendable {
    let kinds = Mutex<[String]>([])

    func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        let reply = try await next(request, context)
        kinds.withLock { $0.append("\(context.operation) \(type(of: request)) -> \(type(of: reply))") }
        return reply
    }
}
