import Foundation
import Kratos
import KratosTestSupport
import NIOCore
import NIOWebSocket
import Synchronization
import Testing
@testable import KratosHTTP

/// Client and bidirectional streams over WebSocket on a real server, without a WebSocket library:
/// the handshake and its refusals, cancellation when the client leaves, a graceful stop, no unary
/// timeout; and the pure pieces (accept value, inbound frames, close reasons).
@Suite struct WebSocketTests {
    typealias Request = Kratos_Test_V1_HelloRequest
    typealias Reply = Kratos_Test_V1_HelloReply

    static let key = "dGhlIHNhbXBsZSBub25jZQ=="
    static func handshake(_ path: String) -> String {
        "GET \(path) HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\n\r\n"
    }

    /// A client frame: FIN, `opcode`, masked with a fixed key.
    static func frame(_ opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
        let mask: [UInt8] = [1, 2, 3, 4]
        precondition(payload.count < 126)
        return [0x80 | opcode, 0x80 | UInt8(payload.count)] + mask + payload.enumerated().map { $1 ^ mask[$0 % 4] }
    }

    /// The close code of the first close frame the server sent after the `101` head.
    static func closeCode(in bytes: [UInt8]) -> UInt16? {
        guard let end = bytes.indices.first(where: { Array(bytes[$0...].prefix(4)) == Array("\r\n\r\n".utf8) }) else { return nil }
        var index = end + 4
        while index + 2 <= bytes.count {
            let opcode = bytes[index] & 0x0F
            var length = Int(bytes[index + 1] & 0x7F)
            var start = index + 2
            if length == 126, start + 2 <= bytes.count {
                length = Int(bytes[start]) << 8 | Int(bytes[start + 1])
                start += 2
            }
            if opcode == 0x8, length >= 2, start + 2 <= bytes.count { return UInt16(bytes[start]) << 8 | UInt16(bytes[start + 1]) }
            index = start + length
        }
        return nil
    }

    @Test func theAcceptValueIsRFC6455s() {
        #expect(WebSocketHandshake.acceptValue(for: Self.key) == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
        let hex = { (bytes: [UInt8]) in bytes.map { String(format: "%02x", $0) }.joined() }
        #expect(hex(SHA1.digest(Array("abc".utf8))) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(SHA1.digest([])) == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(SHA1.digest(Array(String(repeating: "a", count: 1000).utf8))) == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }

    @Test func aRequestThatIsNoHandshakeIsRefused() async throws {
        let server = loopbackServer()
        try SSEGreeter().register(on: server)
        try await withServer(server) { endpoint in
            let plain = try await curl(endpoint + "/helloworld/chat")
            #expect(plain.status == 426)
            #expect(plain.headers["upgrade"] == "websocket" && plain.headers["sec-websocket-version"] == "13")
            #expect(plain.text.contains(#""reason":"UPGRADE_REQUIRED""#))
            let badKey = try await RawConnection.exchange(endpoint, Self.handshake("/helloworld/chat").replacingOccurrences(of: Self.key, with: "short"))
            #expect(badKey.text.hasPrefix("HTTP/1.1 400 Bad Request\r\n") && badKey.text.contains("BAD_HANDSHAKE"))
            #expect(badKey.closedByServer)
            let accepted = try await RawConnection.exchange(endpoint, Self.handshake("/helloworld/chat")) { $0.contains("\r\n\r\n") }
            #expect(accepted.text.hasPrefix("HTTP/1.1 101 Switching Protocols\r\n"))
            #expect(accepted.text.contains("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"))
        }
    }

    @Test func framesSentWithTheHandshakeAreReadAndTheUnaryTimeoutDoesNotApply() async throws {
        let server = loopbackServer(timeout: .milliseconds(200))
        try server.bidiStreaming(.GET, "/slow", operation: "/test.WS/Slow") { (requests: MessageStream<Request>, writer: MessageWriter<Reply>, context) in
            #expect(context.deadline == nil)
            for try await request in requests {
                try await Task.sleep(for: .milliseconds(400))
                try await writer.write(.with { $0.message = "late \(request.name)" })
            }
        }
        try await withServer(server) { endpoint in
            let bytes = try await RawConnection.with(endpoint) { connection in
                // The handshake, a message and the end marker in one write.
                try await connection.send(bytes: Array(Self.handshake("/slow").utf8) + Self.frame(0x1, Array(#"{"name":"a"}"#.utf8)) + Self.frame(0x1, []))
                try await connection.read { _ in Self.closeCode(in: connection.receivedBytes) != nil }
                return connection.receivedBytes
            }
            #expect(String(decoding: bytes, as: UTF8.self).contains(#"{"message":"late a"}"#))
            #expect(Self.closeCode(in: bytes) == 1000)
        }
    }

    @Test func closingTheConnectionCancelsTheHandler() async throws {
        let probe = StreamProbe()
        let server = loopbackServer()
        try server.bidiStreaming(.GET, "/forever", operation: "/test.WS/Forever") { (_: MessageStream<Request>, writer: MessageWriter<Reply>, _) in
            try await probe.runForever(writer)
        }
        try await withServer(server) { endpoint in
            _ = try await RawConnection.exchange(endpoint, Self.handshake("/forever")) { $0.contains("tick 3") }
            try await probe.wait(for: .cancelled)
        }
    }

    @Test func aGracefulStopClosesWith1001() async throws {
        let probe = StreamProbe()
        let server = loopbackServer()
        try server.bidiStreaming(.GET, "/forever", operation: "/test.WS/Forever") { (_: MessageStream<Request>, writer: MessageWriter<Reply>, _) in
            try await probe.runForever(writer, pause: .milliseconds(20))
        }
        let endpoint = try await server.bind()
        let running = Task { try await server.run() }
        let bytes = try await RawConnection.with(endpoint) { connection in
            try await connection.send(Self.handshake("/forever"))
            try await probe.wait(for: .started)
            async let stopped: Void = server.shutdown()
            try await connection.read { _ in Self.closeCode(in: connection.receivedBytes) != nil }
            // Answer the close, as a client does (unless the server's end of the stream, which
            // follows its close frame, has closed this connection already).
            try? await connection.send(bytes: Self.frame(0x8, [0x03, 0xE9]))
            await stopped
            return connection.receivedBytes
        }
        _ = await running.result
        #expect(Self.closeCode(in: bytes) == 1001)
        #expect(String(decoding: bytes, as: UTF8.self).contains("SERVER_STOPPING"))
        try await probe.wait(for: .cancelled)
    }

    @Test func closeReasonsAreTheErrorBodyWithin123Bytes() throws {
        let short = KratosError.notFound("USER_NOT_FOUND", "no user 7")
        #expect(WebSocketCloseCode.code(for: short) == 4404)
        #expect(WebSocketCloseCode.reason(for: short) == short.jsonBody())
        #expect(WebSocketCloseCode.code(for: KratosError(code: 0, reason: "", message: "")) == 1011)
        let long = KratosError.internalServer("DATABASE_DOWN", String(repeating: "é", count: 300)).with(metadata: ["k": "v"])
        let reason = WebSocketCloseCode.reason(for: long)
        #expect(reason.count <= 123)
        let parsed = try JSONSerialization.jsonObject(with: Data(reason)) as? [String: Any]
        #expect(parsed?["code"] as? Int == 500 && parsed?["reason"] as? String == "DATABASE_DOWN")
        #expect((parsed?["message"] as? String)?.hasPrefix("ééé") == true)
    }

    @Test func inboundFramesAreReassembledCheckedAndBounded() {
        let mask = WebSocketMaskingKey([1, 2, 3, 4])
        func frame(_ opcode: WebSocketOpcode, _ text: String, fin: Bool = true, masked: Bool = true) -> WebSocketFrame {
            var data = ByteBuffer(string: text)
            if masked, let mask { data.webSocketMask(mask) }
            return WebSocketFrame(fin: fin, opcode: opcode, maskKey: masked ? mask : nil, data: data)
        }
        var inbound = WebSocketInbound(maxMessageSize: 10, maxBufferedMessages: 2)
        #expect(inbound.receive(frame(.text, "ab", fin: false)) == .none)
        #expect(inbound.receive(frame(.ping, "p")) == .pong(ByteBuffer(string: "p")))
        #expect(inbound.receive(frame(.continuation, "cd")) == .none)
        #expect(!inbound.isFull)
        #expect(inbound.receive(frame(.binary, "e")) == .none)
        #expect(inbound.isFull)
        #expect(inbound.pop() == .init(binary: false, bytes: ByteBuffer(string: "abcd")))
        #expect(inbound.pop() == .init(binary: true, bytes: ByteBuffer(string: "e")))
        #expect(inbound.pop() == nil)
        #expect(inbound.receive(frame(.text, "")) == .none)
        #expect(inbound.ended)
        #expect(inbound.receive(frame(.text, "late")) == .violation(code: 1002, reason: "a message after the end of the stream"))

        var other = WebSocketInbound(maxMessageSize: 10, maxBufferedMessages: 2)
        #expect(other.receive(frame(.text, "x", masked: false)) == .violation(code: 1002, reason: "client frames must be masked"))
        #expect(other.receive(frame(.continuation, "x")) == .violation(code: 1002, reason: "a continuation frame without a message"))
        #expect(other.receive(frame(.text, "123456", fin: false)) == .none)
        #expect(other.receive(frame(.continuation, "789012")) == .violation(code: 1009, reason: "a message was larger than 10 bytes"))
    }
}
