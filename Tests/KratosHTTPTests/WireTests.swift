import Foundation
import Kratos
import KratosHTTP
import KratosTestSupport
import NIOCore
import NIOPosix
import Testing

/// What the server puts on the wire where curl would hide it: pipelined requests answered in
/// order, malformed requests, reply framing and header validation, HEAD, HTTP/1.0, `Expect:
/// 100-continue`, idle connections. Each test talks to a real server over a plain TCP socket.
@Suite struct WireTests {
    func server(idleTimeout: Duration = .seconds(60)) throws -> KratosHTTPServer {
        let server = loopbackServer(timeout: .seconds(5)) { $0.idleTimeout = idleTimeout }
        try server.route(.GET, "/delay/{ms}") { request in
            let ms = Int(request.pathParameter("ms") ?? "") ?? 0
            if ms > 0 { try await Task.sleep(for: .milliseconds(ms)) }
            return HTTPResponse(headers: ["content-type": "text/plain"], body: ByteBuffer(string: "slept \(ms);"))
        }
        try server.route(.GET, "/inject") { _ in
            HTTPResponse(headers: ["x-note": "a\r\nset-cookie: pwned=1"], body: ByteBuffer(string: "x"))
        }
        try server.route(.GET, "/framing") { _ in
            HTTPResponse(headers: ["content-length": "999", "transfer-encoding": "chunked", "content-type": "text/plain"],
                         body: ByteBuffer(string: "four"))
        }
        try server.route(.POST, "/echo") { request in
            HTTPResponse(headers: ["content-type": "text/plain"], body: request.body ?? ByteBuffer())
        }
        return server
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer(try server()) { endpoint in
            let reply = try await RawConnection.exchange(endpoint,
                "GET /delay/300 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n"
                    + "GET /delay/50 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(reply.closedByServer)
            #expect(reply.text.components(separatedBy: "HTTP/1.1 200 OK\r\n").count == 4)
            let order = ["slept 300;", "slept 0;", "slept 50;"].map { reply.text.range(of: $0)?.lowerBound }
            #expect(order.allSatisfy { $0 != nil })
            #expect(order.compactMap { $0 } == order.compactMap { $0 }.sorted())
        }
    }

    @Test func malformedRequestIs400InTheErrorBodyAndCloses() async throws {
        try await withServer(try server()) { endpoint in
            let reply = try await RawConnection.exchange(endpoint, "GET /delay/0 HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n")
            #expect(reply.text.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
            #expect(reply.text.contains("content-type: application/json\r\n"))
            #expect(reply.text.contains("connection: close\r\n"))
            #expect(reply.text.contains(#""code":400"#) && reply.text.contains(#""reason":"BAD_REQUEST""#))
            #expect(reply.closedByServer)
        }
    }

    @Test func aMalformedRequestBehindAGoodOneWaitsForItsTurn() async throws {
        try await withServer(try server()) { endpoint in
            let reply = try await RawConnection.exchange(endpoint, "GET /delay/200 HTTP/1.1\r\nHost: x\r\n\r\nNOT HTTP AT ALL\r\n\r\n")
            let ok = reply.text.range(of: "slept 200;"), bad = reply.text.range(of: "HTTP/1.1 400")
            #expect(reply.text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(ok != nil && bad != nil && ok!.lowerBound < bad!.lowerBound)
            #expect(reply.closedByServer)
        }
    }

    @Test func aHeaderThatWouldSplitTheReplyIsAnswered500() async throws {
        try await withServer(try server()) { endpoint in
            let reply = try await RawConnection.exchange(endpoint, "GET /inject HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(reply.text.hasPrefix("HTTP/1.1 500 Internal Server Error\r\n"))
            #expect(reply.text.contains(#""reason":"INVALID_HEADER""#))
            #expect(!reply.text.lowercased().contains("set-cookie"))
        }
    }

    @Test func theServerFramesEveryReplyItself() async throws {
        try await withServer(try server()) { endpoint in
            let reply = try await RawConnection.exchange(endpoint, "GET /framing HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            #expect(reply.text.hasSuffix("\r\ncontent-length: 4\r\nconnection: close\r\n\r\nfour"))
            #expect(!reply.text.contains("999") && !reply.text.lowercased().contains("transfer-encoding"))
        }
    }

    @Test func headIsServedByTheGetRouteWithoutABody() async throws {
        try await withServer(try server()) { endpoint in
            let reply = try await RawConnection.exchange(endpoint,
                "HEAD /delay/0 HTTP/1.1\r\nHost: x\r\n\r\nGET /delay/1 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            let replies = reply.text.components(separatedBy: "HTTP/1.1 200 OK\r\n").dropFirst()
            #expect(replies.count == 2)
            #expect(replies.first?.hasSuffix("content-length: 8\r\n\r\n") == true)
            #expect(replies.last?.hasSuffix("slept 1;") == true)
        }
    }

    @Test func http10ClosesUnlessAskedToKeepAlive() async throws {
        try await withServer(try server()) { endpoint in
            let plain = try await RawConnection.exchange(endpoint, "GET /delay/0 HTTP/1.0\r\n\r\n")
            #expect(plain.text.hasPrefix("HTTP/1.0 200 OK\r\n") && plain.text.contains("connection: close\r\n"))
            #expect(plain.closedByServer)
            let kept = try await RawConnection.exchange(endpoint, "GET /delay/0 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                                                        until: { $0.hasSuffix("slept 0;") })
            #expect(kept.text.contains("connection: keep-alive\r\n"))
            #expect(!kept.closedByServer)
        }
    }

    @Test func expectContinueIsAnsweredBeforeTheBody() async throws {
        try await withServer(try server()) { endpoint in
            let text = try await RawConnection.with(endpoint) { connection in
                try await connection.send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nExpect: 100-continue\r\n\r\n")
                try await connection.read(until: { $0.contains("\r\n\r\n") })
                #expect(connection.received == "HTTP/1.1 100 Continue\r\n\r\n")
                try await connection.send("hello")
                try await connection.read(until: { $0.hasSuffix("hello") })
                return connection.received
            }
            #expect(text.hasSuffix("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 5\r\n\r\nhello"))
        }
    }

    @Test func idleConnectionsAreClosed() async throws {
        try await withServer(try server(idleTimeout: .milliseconds(300))) { endpoint in
            let start = ContinuousClock.now
            let silent = try await RawConnection.exchange(endpoint, "")
            #expect(silent.closedByServer && silent.text.isEmpty)
            // After a reply, the keep-alive connection idles out too.
            let served = try await RawConnection.exchange(endpoint, "GET /delay/0 HTTP/1.1\r\nHost: x\r\n\r\n")
            #expect(served.closedByServer && served.text.hasSuffix("slept 0;"))
            #expect(ContinuousClock.now - start < .seconds(4))
        }
    }
}

/// A plain TCP connection to the server under test, read as text.
final class RawConnection {
    struct Reply {
        var text: String
        /// The server closed the connection (rather than the read giving up).
        var closedByServer: Bool
    }

    private var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    private let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    private let channel: any Channel
    private(set) var received = ""
    /// What arrived, as bytes (for binary protocols such as WebSocket frames).
    private(set) var receivedBytes: [UInt8] = []
    private(set) var closedByServer = false

    private init(inbound: NIOAsyncChannelInboundStream<ByteBuffer>, outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>, channel: any Channel) {
        self.inbound = inbound.makeAsyncIterator()
        self.outbound = outbound
        self.channel = channel
    }

    /// Sends `request` and reads until `done` holds for what arrived or the server closes.
    static func exchange(_ endpoint: String, _ request: String, until done: @escaping (String) -> Bool = { _ in false }) async throws -> Reply {
        try await with(endpoint) { connection in
            if !request.isEmpty { try await connection.send(request) }
            try await connection.read(until: done)
            return Reply(text: connection.received, closedByServer: connection.closedByServer)
        }
    }

    static func with<T>(_ endpoint: String, _ body: (RawConnection) async throws -> T) async throws -> T {
        let port = Int(endpoint.split(separator: ":").last!)!
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let underlying = channel.channel
        return try await channel.executeThenClose { inbound, outbound in
            try await body(RawConnection(inbound: inbound, outbound: outbound, channel: underlying))
        }
    }

    func send(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    func send(bytes: [UInt8]) async throws {
        try await outbound.write(ByteBuffer(bytes: bytes))
    }

    /// Reads until `done(received)`, the server closes, or 5 s pass (then the read gives up and
    /// the connection is closed from this side).
    func read(until done: (String) -> Bool) async throws {
        let channel = self.channel
        let giveUp = channel.eventLoop.scheduleTask(in: .seconds(5)) { channel.close(promise: nil) }
        defer { giveUp.cancel() }
        let start = ContinuousClock.now
        while !done(received) {
            guard let chunk = try await inbound.next() else {
                closedByServer = ContinuousClock.now - start < .milliseconds(4900)
                return
            }
            received += String(buffer: chunk)
            receivedBytes += chunk.readableBytesView
        }
    }
}
