import Foundation
import Kratos
import KratosGRPC
import KratosTestSupport
import SwiftProtobuf
import Synchronization
import Testing

/// Hostile HTTP/2 peers (Python h2 on raw sockets, Python/hostile_peer.py) against the engine;
/// after each, a normal call from our client succeeds.
@Suite(.serialized) struct HostilePeerTests {
    static let script = InteropTests.python.appendingPathComponent("hostile_peer.py").path

    /// What the flooding method has done: bytes its handler got past `write`, and how it ended.
    final class FloodRecord: Sendable {
        let written = Atomic<Int>(0)
        let ended = Mutex<String?>(nil)
    }

    /// The server of these tests: Echo (unary) and Flood (16 KiB replies until cancelled).
    static func withHostileServer(_ body: (_ port: Int, _ endpoint: String, FloodRecord) async throws -> Void) async throws {
        let record = FloodRecord()
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0, timeout: .seconds(5))
        configuration.logger = quietLogger("test.hostile")
        let server = KratosGRPCServer(configuration)
        try server.unary("/kratos.hostile.v1.Hostile/Echo") { (request: Google_Protobuf_StringValue, _) in request }
        try server.serverStreaming("/kratos.hostile.v1.Hostile/Flood") {
            (_: Google_Protobuf_Empty, writer: MessageWriter<Google_Protobuf_BytesValue>, _) in
            let reply = Google_Protobuf_BytesValue(Data(count: 16 * 1024))
            do {
                while true {
                    try await writer.write(reply)
                    record.written.add(16 * 1024, ordering: .relaxed)
                }
            } catch {
                record.ended.withLock { $0 = "\(error)" }
                throw error
            }
        }
        try await withServer(server) { endpoint in
            let port = Int(endpoint.split(separator: ":").last ?? "") ?? 0
            try await body(port, endpoint, record)
        }
    }

    static func hostile(_ port: Int, _ arguments: String...) async throws -> [String: Any] {
        let run = try await runProcess("/usr/bin/env", ["python3", script, String(port)] + arguments)
        let result = (try? JSONSerialization.jsonObject(with: run.stdout)) as? [String: Any] ?? [:]
        #expect(result["ok"] as? Bool == true, "\(arguments): \(String(decoding: run.stdout, as: UTF8.self)) \(String(decoding: run.stderr, as: UTF8.self))")
        return result
    }

    /// A normal call on a new connection, after the hostile one.
    static func expectServing(_ endpoint: String) async throws {
        let reply = try await KratosGRPCClient.with(.init(endpoint: endpoint)) { client in
            try await client.unary("/kratos.hostile.v1.Hostile/Echo", Google_Protobuf_StringValue("still here"),
                                   as: Google_Protobuf_StringValue.self)
        }
        #expect(reply.value == "still here")
    }

    @Test func garbageAndHTTP1AreClosedAndTheServerServesOn() async throws {
        try await Self.withHostileServer { port, endpoint, _ in
            _ = try await Self.hostile(port, "garbage")
            try await Self.expectServing(endpoint)
            _ = try await Self.hostile(port, "http1")
            try await Self.expectServing(endpoint)
        }
    }

    /// A client that never reads: flow control stops the handler's writer (its memory stays
    /// bounded); when the client goes, the handler is cancelled.
    @Test func aClientThatStopsReadingHoldsTheWriterBack() async throws {
        try await Self.withHostileServer { port, endpoint, record in
            async let peer = Self.hostile(port, "stall", "3")
            try await Task.sleep(for: .seconds(2))
            let afterTwoSeconds = record.written.load(ordering: .relaxed)
            _ = try await peer
            // The client's 64 KiB window, our 64 KiB of replies in flight, one message more.
            #expect(afterTwoSeconds > 0 && afterTwoSeconds < 512 * 1024, "the handler wrote \(afterTwoSeconds) bytes to a client that reads nothing")
            var waited = 0
            while record.ended.withLock({ $0 }) == nil, waited < 50 {
                try await Task.sleep(for: .milliseconds(100))
                waited += 1
            }
            #expect(record.ended.withLock { $0 } != nil, "the handler is still writing after its client went")
            try await Self.expectServing(endpoint)
        }
    }

    @Test func aStreamFloodBeyondTheLimitIsRefused() async throws {
        try await Self.withHostileServer { port, endpoint, _ in
            let result = try await Self.hostile(port, "flood", "180")
            // Past SETTINGS_MAX_CONCURRENT_STREAMS (100) each further stream is refused
            // (RST_STREAM REFUSED_STREAM, as grpc-go does); the connection and its 100 calls stay.
            #expect(result["refused"] as? Int == 80, "\(result)")
            #expect(result["closed"] as? Bool == false, "\(result)")
            try await Self.expectServing(endpoint)
        }
    }

    @Test func anOversizedMessageIsRefusedBeforeItArrives() async throws {
        try await Self.withHostileServer { port, endpoint, _ in
            _ = try await Self.hostile(port, "oversize")
            try await Self.expectServing(endpoint)
        }
    }

    @Test func aHalfSentMessageThenResetLeavesTheConnectionUsable() async throws {
        try await Self.withHostileServer { port, endpoint, _ in
            _ = try await Self.hostile(port, "halfsent")
            try await Self.expectServing(endpoint)
        }
    }

    /// Our own HTTP/2: PING answered, header blocks in CONTINUATION frames, a tiny stream window
    /// respected by a large reply, protocol violations (HPACK ones included) answered with GOAWAY
    /// and their code.
    @Test func theHTTP2LayerKeepsTheProtocol() async throws {
        try await Self.withHostileServer { port, endpoint, _ in
            _ = try await Self.hostile(port, "ping")
            _ = try await Self.hostile(port, "continuation")
            _ = try await Self.hostile(port, "window")
            let bad = try await Self.hostile(port, "badframes")
            #expect(bad["codes"] as? [Int] == [1, 6, 1, 9, 9], "\(bad)")
            try await Self.expectServing(endpoint)
        }
    }

    @Test func aThousandIdleConnectionsDoNotStopTheServer() async throws {
        try await Self.withHostileServer { port, endpoint, _ in
            _ = try await Self.hostile(port, "idle", "1000")
            try await Self.expectServing(endpoint)
        }
    }
}

@Suite struct GRPCGracefulStopTests {
    /// A stop sends GOAWAY: calls already running finish with their replies, the server then
    /// closes, and a call after it is refused.
    @Test func callsInFlightFinishAndLaterOnesAreRefused() async throws {
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0, timeout: .seconds(5))
        configuration.logger = quietLogger("test.stop")
        let server = KratosGRPCServer(configuration)
        let started = AsyncStream<Void>.makeStream()
        try server.unary("/kratos.hostile.v1.Hostile/Echo") { (request: Google_Protobuf_StringValue, _) in
            started.continuation.yield()
            try await Task.sleep(for: .milliseconds(500))
            return request
        }
        let endpoint = try await server.bind()
        let running = Task { try await server.run() }
        try await KratosGRPCClient.with(.init(endpoint: endpoint, timeout: .seconds(5))) { client in
            let inFlight = Task {
                try await client.unary("/kratos.hostile.v1.Hostile/Echo", Google_Protobuf_StringValue("in flight"),
                                       as: Google_Protobuf_StringValue.self)
            }
            var iterator = started.stream.makeAsyncIterator()
            _ = await iterator.next()
            let stopping = ContinuousClock.now
            await server.shutdown()
            let reply = try await inFlight.value
            #expect(reply.value == "in flight")
            #expect(ContinuousClock.now - stopping < .seconds(3))
        }
        _ = try? await running.value
        await #expect(throws: KratosError.self) {
            try await KratosGRPCClient.with(.init(endpoint: endpoint, timeout: .seconds(2))) { client in
                try await client.unary("/kratos.hostile.v1.Hostile/Echo", Google_Protobuf_StringValue("late"),
                                       as: Google_Protobuf_StringValue.self)
            }
        }
    }
}

extension GRPCGracefulStopTests {
    final class LoadRecord: Sendable {
        let started = Atomic<Int>(0)
        let answered = Atomic<Int>(0)
        let failures = Mutex<[String]>([])
    }

    /// A stop under load (64 callers in a loop, each call 20 ms in its handler): every call whose
    /// handler started is answered with its reply; the others are refused before they start.
    @Test func aStopUnderLoadAnswersEveryCallItAccepted() async throws {
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0, timeout: .seconds(5))
        configuration.logger = quietLogger("test.stop")
        let server = KratosGRPCServer(configuration)
        let record = LoadRecord()
        try server.unary("/kratos.hostile.v1.Hostile/Echo") { (request: Google_Protobuf_StringValue, _) in
            record.started.add(1, ordering: .relaxed)
            try await Task.sleep(for: .milliseconds(20))
            return request
        }
        let endpoint = try await server.bind()
        let running = Task { try await server.run() }
        try await KratosGRPCClient.with(.init(endpoint: endpoint, timeout: .seconds(5))) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for caller in 0..<64 {
                    group.addTask { try await Self.callUntilRefused(client, caller, record) }
                }
                try await Task.sleep(for: .milliseconds(500))
                await server.shutdown()
                try await group.waitForAll()
            }
        }
        _ = try? await running.value
        let (started, answered) = (record.started.load(ordering: .relaxed), record.answered.load(ordering: .relaxed))
        #expect(record.failures.withLock { $0 }.isEmpty, "\(record.failures.withLock { $0 }.prefix(5))")
        #expect(started > 64)
        #expect(answered == started, "\(started) calls started, \(answered) answered")
    }

    private static func callUntilRefused(_ client: KratosGRPCClient, _ caller: Int, _ record: LoadRecord) async throws {
        while true {
            do {
                let reply = try await client.unary("/kratos.hostile.v1.Hostile/Echo", Google_Protobuf_StringValue("\(caller)"),
                                                   as: Google_Protobuf_StringValue.self)
                #expect(reply.value == "\(caller)")
                record.answered.add(1, ordering: .relaxed)
            } catch let error as KratosError {
                // Refused before it started (the connection is going away or gone).
                if error.receivedGRPCCode != .unavailable { record.failures.withLock { $0.append("\(error)") } }
                return
            }
        }
    }
}
