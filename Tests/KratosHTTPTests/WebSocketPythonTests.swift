import Foundation
import Kratos
import KratosTestSupport
import Synchronization
import Testing
@testable import KratosHTTP

/// Client and bidirectional streams over WebSocket driven by Python's `websockets` (PyPI),
/// Python/ws_client.py: JSON and binary frames, fragments, pings, errors as close codes, 1,000
/// messages each way, a slow reader held back by back-pressure, a message past the limit.
@Suite struct WebSocketPythonTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/ws_client.py").path

    /// One stream as the script saw it.
    struct Run: Decodable {
        struct Reason: Decodable {
            var code: Int?
            var reason: String?
            var message: String?
            var metadata: [String: String]?
        }

        var replies: [String]
        var kinds: [String]
        var code: Int?
        var reason: Reason?
    }

    struct Streams: Decodable {
        var gather_json, gather_binary, gather_error, chat_json, chat_binary, chat_fragmented: Run
        var chat_thousand, chat_thousand_binary, gather_thousand, chat_error, refused, allowed: Run
        var pong: Bool
        var pong_close: Int?
    }

    static func python(_ arguments: String...) async throws -> Data {
        let run = try await runProcess("/usr/bin/env", ["python3", script] + arguments)
        #expect(run.status == 0, "\(String(decoding: run.stderr, as: UTF8.self))")
        return run.stdout
    }

    @Test func websocketsDrivesClientAndBidiStreams() async throws {
        let server = loopbackServer(middleware: [Recovery(), RequireUser(operation: "/test.WS/Guarded")])
        try SSEGreeter().register(on: server)
        try server.bidiStreaming(.GET, "/guarded/chat", operation: "/test.WS/Guarded") {
            (requests: MessageStream<Kratos_Test_V1_HelloRequest>, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context) in
            for try await request in requests { try await writer.write(.with { $0.message = "\(request.name) by \(context.metadata["x-md-global-user"] ?? "")" }) }
        }
        try await withServer(server) { endpoint in
            let result = try JSONDecoder().decode(Streams.self, from: try await Self.python(endpoint, "streams"))
            // A client stream: one reply after the end marker, then a normal close.
            #expect(result.gather_json.replies == ["Hello a b c"] && result.gather_json.kinds == ["text"] && result.gather_json.code == 1000)
            #expect(result.gather_binary.replies == ["Hello x y"] && result.gather_binary.kinds == ["binary"] && result.gather_binary.code == 1000)
            // The handler's error: 4000 + its code, the error body as the reason.
            #expect(result.gather_error.replies.isEmpty && result.gather_error.code == 4400)
            #expect(result.gather_error.reason?.reason == "UNSPELLABLE" && result.gather_error.reason?.metadata == ["at": "1"])
            #expect(result.chat_json.replies == ["Hello ann", "Hello bob"] && result.chat_json.kinds == ["text"] && result.chat_json.code == 1000)
            #expect(result.chat_binary.replies == ["Hello zed"] && result.chat_binary.kinds == ["binary"])
            #expect(result.chat_fragmented.replies == ["Hello fragment"])
            let thousand = (1...1000).map { "Hello \($0)" }
            #expect(result.chat_thousand.replies == thousand && result.chat_thousand.code == 1000)
            #expect(result.chat_thousand_binary.replies == thousand && result.chat_thousand_binary.kinds == ["binary"])
            #expect(result.gather_thousand.replies == ["Hello " + (1...1000).map(String.init).joined(separator: " ")])
            // Mid-stream: the replies before the error, then its close code.
            #expect(result.chat_error.replies == ["Hello ok"] && result.chat_error.code == 4400)
            #expect(result.chat_error.reason?.message == "cannot greet !")
            // A middleware's refusal closes the stream with its code before any message.
            #expect(result.refused.replies.isEmpty && result.refused.code == 4401 && result.refused.reason?.reason == "NO_USER")
            #expect(result.allowed.replies == ["ann by ann"] && result.allowed.code == 1000)
            #expect(result.pong && result.pong_close == 1000)
        }
    }

    @Test func aSlowReaderHoldsTheWriterBack() async throws {
        let probe = StreamProbe()
        let server = loopbackServer()
        try server.bidiStreaming(.GET, "/ws/flood", operation: "/test.WS/Flood") {
            (_: MessageStream<Kratos_Test_V1_HelloRequest>, writer: MessageWriter<Kratos_Test_V1_HelloReply>, _) in
            try await probe.runForever(writer, size: 64 << 10, pause: .zero)
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ws-flood-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withServer(server) { endpoint in
            async let output = Self.python(endpoint, "flood", directory.path)
            try await probe.wait(for: .started)
            // The client reads nothing: once the socket buffers (and its 4-message queue) are
            // full, the handler's writes must stop.
            let (count, stopped) = try await probe.settledCount()
            #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("paused").path))
            #expect(stopped, "the writer never stopped: \(count) messages of 64 KiB")
            #expect(count < 200, "\(count) messages of 64 KiB were written while nobody read")
            // Resumed, the client reads 300 messages in order: the writer went on.
            _ = FileManager.default.createFile(atPath: directory.appendingPathComponent("resume").path, contents: nil)
            let result = try JSONSerialization.jsonObject(with: try await output) as? [String: Any] ?? [:]
            #expect(result["count"] as? Int == 300 && result["first"] as? Int == 1 && result["in_order"] as? Bool == true)
            #expect(probe.written.load(ordering: .relaxed) > 300)
            try await probe.wait(for: .cancelled)
        }
    }

    @Test func aFastSenderIsHeldBackWhileTheHandlerDoesNotRead() async throws {
        let (gate, open) = AsyncStream.makeStream(of: Void.self)
        let server = loopbackServer()
        try server.clientStreaming(.GET, "/ws/upload", operation: "/test.WS/Upload") {
            (requests: MessageStream<Kratos_Test_V1_HelloRequest>, _) -> Kratos_Test_V1_HelloReply in
            for await _ in gate { break }
            var count = 0
            for try await _ in requests { count += 1 }
            return .with { $0.message = "\(count)" }
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ws-upload-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try await withServer(server) { endpoint in
            async let output = Self.python(endpoint, "upload", directory.path)
            let marker = directory.appendingPathComponent("stalled")
            let start = ContinuousClock.now
            while !FileManager.default.fileExists(atPath: marker.path), ContinuousClock.now - start < .seconds(60) {
                try await Task.sleep(for: .milliseconds(100))
            }
            let stalled = Int((try? String(contentsOf: marker, encoding: .utf8)) ?? "") ?? -1
            // The server holds 16 messages and stops reading; the rest sit in socket buffers
            // (a few MiB on loopback: about 100 messages here). Without the bound all 600 would be taken in.
            #expect(stalled > 0 && stalled < 400, "\(stalled) messages of 64 KiB were sent while the handler read nothing")
            open.yield()
            let result = try JSONSerialization.jsonObject(with: try await output) as? [String: Any] ?? [:]
            #expect(result["reply"] as? String == "600" && result["code"] as? Int == 1000)
        }
    }

    @Test func aMessagePastTheLimitClosesWith1009() async throws {
        let server = loopbackServer { $0.webSocket.maxMessageSize = 64 << 10 }
        try SSEGreeter().register(on: server)
        try await withServer(server) { endpoint in
            let result = try JSONDecoder().decode(Run.self, from: try await Self.python(endpoint, "too_large"))
            #expect(result.replies == ["Hello small"])
            #expect(result.code == 1009)
        }
    }
}

/// Refuses calls of one operation without a user in the metadata (401 `NO_USER`).
private struct RequireUser: Middleware {
    let operation: String

    func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        if context.operation == operation, context.metadata["x-md-global-user"] == nil {
            throw KratosError.unauthorized("NO_USER", "who are you")
        }
        return try await next(request, context)
    }
}
