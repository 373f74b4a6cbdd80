import Foundation
import Kratos
import KratosGRPC
import KratosTestSupport
import Testing

/// The gRPC interop test cases (grpc.testing.TestService), both ways: Python grpcio's client
/// (Python/interop_client.py) against our server running InteropTestService, and our client
/// against grpcio's server (Python/interop_server.py). Both scripts follow the public interop
/// test descriptions; the Python stubs are made by grpc_tools.protoc at test time.
@Suite(.serialized) struct InteropTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let python = root.appendingPathComponent("Tests/KratosGRPCTests/Python")

    /// Every case the client runs, in the order it runs them.
    static let cases = [
        "empty_unary", "large_unary", "client_compressed_unary", "server_compressed_unary", "client_streaming",
        "server_streaming", "ping_pong", "empty_stream", "timeout_on_sleeping_server", "cancel_after_begin",
        "cancel_after_first_response", "custom_metadata", "status_code_and_message", "special_status_message",
        "unimplemented_method", "unimplemented_service",
    ]

    @Test func grpcioClientPassesEveryCaseAgainstOurServer() async throws {
        let stubs = try await Self.makeStubs()
        defer { try? FileManager.default.removeItem(at: stubs) }
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0, timeout: .seconds(30))
        configuration.logger = quietLogger("test.interop")
        let server = KratosGRPCServer(configuration)
        try InteropTestService().register(on: server)
        try await withServer(server) { endpoint in
            let script = Self.python.appendingPathComponent("interop_client.py").path
            let run = try await runProcess("/usr/bin/env", ["python3", script, stubs.path, String(endpoint.dropFirst("grpc://".count))])
            let output = String(decoding: run.stdout, as: UTF8.self), errors = String(decoding: run.stderr, as: UTF8.self)
            let results = (try? JSONSerialization.jsonObject(with: run.stdout)) as? [String: String] ?? [:]
            #expect(!results.isEmpty, "the client printed no results: \(output) \(errors)")
            for name in Self.cases {
                #expect(results[name] == "ok", "\(name): \(results[name] ?? "no result")")
            }
            #expect(run.status == 0, "\(errors)")
        }
    }

    /// The two scripts against each other, grpcio on both ends: every case passes, so a failure
    /// in the tests above is ours, not the scripts'.
    @Test func grpcioClientPassesEveryCaseAgainstGrpcio() async throws {
        let stubs = try await Self.makeStubs()
        defer { try? FileManager.default.removeItem(at: stubs) }
        let server = try PythonInteropServer(stubs: stubs)
        defer { server.stop() }
        let script = Self.python.appendingPathComponent("interop_client.py").path
        let run = try await runProcess("/usr/bin/env", ["python3", script, stubs.path, server.endpoint])
        let results = (try? JSONSerialization.jsonObject(with: run.stdout)) as? [String: String] ?? [:]
        #expect(results == Dictionary(uniqueKeysWithValues: Self.cases.map { ($0, "ok") }),
                "\(String(decoding: run.stdout, as: UTF8.self)) \(String(decoding: run.stderr, as: UTF8.self))")
        #expect(run.status == 0)
    }

    /// Our client through every case (compression is chosen per client, so
    /// client_compressed_unary uses two).
    static let clientCases = cases

    @Test func ourClientPassesTheCasesItCanExpressAgainstGrpcio() async throws {
        let stubs = try await Self.makeStubs()
        defer { try? FileManager.default.removeItem(at: stubs) }
        let server = try PythonInteropServer(stubs: stubs)
        defer { server.stop() }
        for name in Self.clientCases {
            let outcome: String
            do {
                try await Deadline.run(within: .seconds(60)) { try await InteropClientCases(endpoint: server.endpoint).run(name) }
                outcome = "ok"
            } catch {
                outcome = "failed: \(error)"
            }
            #expect(outcome == "ok", "\(name): \(outcome)")
        }
    }

    /// The Python modules of the interop protos, in a new temporary directory.
    static func makeStubs() async throws -> URL {
        let stubs = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: stubs, withIntermediateDirectories: true)
        let protos = root.appendingPathComponent("Tests/KratosTestSupport/Protos").path
        let generated = try await runProcess("/usr/bin/env", [
            "python3", "-m", "grpc_tools.protoc", "-I", protos, "--python_out=\(stubs.path)", "--grpc_python_out=\(stubs.path)",
        ] + ["empty", "messages", "test"].map { "\(protos)/grpc/testing/\($0).proto" })
        guard generated.status == 0 else {
            throw ProcessFailure(description: "grpc_tools.protoc failed: \(String(decoding: generated.stderr, as: UTF8.self))")
        }
        return stubs
    }
}

/// Python/interop_server.py on a loopback port.
final class PythonInteropServer: @unchecked Sendable {
    let process = Process()
    let log: URL
    private(set) var endpoint = ""

    init(stubs: URL) throws {
        log = FileManager.default.temporaryDirectory.appendingPathComponent("interop-server-\(UUID().uuidString.prefix(8)).log")
        FileManager.default.createFile(atPath: log.path, contents: nil)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", InteropTests.python.appendingPathComponent("interop_server.py").path, stubs.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // The first line is the port; empty data means the server exited.
        var output = Data()
        while !output.contains(UInt8(ascii: "\n")) {
            let chunk = pipe.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            output.append(chunk)
        }
        let port = String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard Int(port) != nil else {
            let errors = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
            stop()
            throw ProcessFailure(description: "the interop server did not start: \(port) \(errors.suffix(2000))")
        }
        endpoint = "127.0.0.1:\(port)"
    }

    /// SIGKILL: the test process ignores SIGTERM (ServiceLifecycle handles it), and children
    /// inherit an ignored signal.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: log)
    }
}

struct InteropFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The interop client cases through `KratosGRPCClient` and the generated client types.
struct InteropClientCases {
    let endpoint: String

    static let statusMessage = "test status message"
    static let specialStatusMessage = "\t\ntest with whitespace\r\nand Unicode BMP \u{263A} and non-BMP \u{1F608}\t\n"

    func run(_ name: String) async throws {
        switch name {
        case "empty_unary": try await emptyUnary()
        case "large_unary": try await largeUnary()
        case "client_compressed_unary": try await clientCompressedUnary()
        case "server_compressed_unary": try await serverCompressedUnary()
        case "client_streaming": try await clientStreaming()
        case "server_streaming": try await serverStreaming()
        case "ping_pong": try await pingPong()
        case "empty_stream": try await emptyStream()
        case "timeout_on_sleeping_server": try await timeoutOnSleepingServer()
        case "cancel_after_begin": try await cancelAfterBegin()
        case "cancel_after_first_response": try await cancelAfterFirstResponse()
        case "custom_metadata": try await customMetadata()
        case "status_code_and_message": try await statusCodeAndMessage()
        case "special_status_message": try await specialStatusMessage()
        case "unimplemented_method": try await unimplementedMethod()
        case "unimplemented_service": try await unimplementedService()
        default: throw InteropFailure("no such case in the Swift client")
        }
    }

    /// A typed TestService client, connected while `body` runs.
    func withClient<T: Sendable>(timeout: Duration = .seconds(20), compression: MessageEncoding? = nil, middleware: [any Middleware] = [],
                                 _ body: (Grpc_Testing_TestServiceGRPCClient) async throws -> T) async throws -> T {
        try await KratosGRPCClient.with(.init(endpoint: endpoint, timeout: timeout, compression: compression), middleware: middleware) { client in
            try await body(Grpc_Testing_TestServiceGRPCClient(client))
        }
    }

    func check(_ condition: Bool, _ why: @autoclosure () -> String) throws {
        if !condition { throw InteropFailure(why()) }
    }

    func checkZeros(_ payload: Grpc_Testing_Payload, _ size: Int, _ what: String = "reply") throws {
        try check(payload.body.count == size, "\(what) payload is \(payload.body.count) bytes, not \(size)")
        try check(payload.body.allSatisfy { $0 == 0 }, "\(what) payload is not all zeros")
    }

    /// Runs `call`, which must fail with a framework error of gRPC code `code`; returns it.
    @discardableResult
    func expectFailure(_ code: GRPCStatusCode, _ call: () async throws -> Void) async throws -> KratosError {
        do {
            try await call()
        } catch let error as KratosError {
            // The client reports the gRPC code as the HTTP status it maps to (UNKNOWN → 500),
            // and the code itself as received.
            try check(error.code == code.httpStatus && error.receivedGRPCCode == code, """
                error \(error.code) \(error.reason) \(error.message.debugDescription) (cause: \(error.cause.map { String(reflecting: $0) } ?? "none")), \
                not \(code) (\(code.httpStatus))
                """)
            return error
        } catch {
            throw InteropFailure("\(type(of: error)) \(error), not a KratosError of \(code)")
        }
        throw InteropFailure("the call succeeded, not \(code)")
    }

    func streamingRequest(_ responseSizes: [Int], payload: Int? = nil, status: Grpc_Testing_EchoStatus? = nil) -> Grpc_Testing_StreamingOutputCallRequest {
        .with { request in
            request.responseParameters = responseSizes.map { size in .with { $0.size = Int32(size) } }
            if let payload { request.payload = .zeros(payload) }
            if let status { request.responseStatus = status }
        }
    }

    // MARK: Cases

    func emptyUnary() async throws {
        let reply = try await withClient { try await $0.emptyCall(Grpc_Testing_Empty()) }
        try check(reply == Grpc_Testing_Empty(), "reply is not empty")
    }

    func largeUnary() async throws {
        let reply = try await withClient { client in
            try await client.unaryCall(.with {
                $0.responseSize = 314159
                $0.payload = .zeros(271828)
            })
        }
        try checkZeros(reply.payload, 314159)
    }

    /// The probe (expect_compressed on an uncompressed request) must fail INVALID_ARGUMENT; the
    /// same request gzip-compressed succeeds, and an uncompressed one not expecting compression.
    func clientCompressedUnary() async throws {
        let request = Grpc_Testing_SimpleRequest.with {
            $0.responseSize = 314159
            $0.payload = .zeros(271828)
            $0.expectCompressed = .with { $0.value = true }
        }
        try await withClient { client in
            try await expectFailure(.invalidArgument) { _ = try await client.unaryCall(request) }
        }
        let compressed = try await withClient(compression: .gzip) { try await $0.unaryCall(request) }
        try checkZeros(compressed.payload, 314159, "compressed request's reply")
        var plain = request
        plain.expectCompressed.value = false
        let reply = try await withClient { try await $0.unaryCall(plain) }
        try checkZeros(reply.payload, 314159, "uncompressed request's reply")
    }

    /// The reply's compressed flag is out of the client's sight: the replies are checked.
    func serverCompressedUnary() async throws {
        try await withClient { client in
            for compressed in [true, false] {
                let reply = try await client.unaryCall(.with {
                    $0.responseCompressed = .with { $0.value = compressed }
                    $0.responseSize = 314159
                    $0.payload = .zeros(271828)
                })
                try checkZeros(reply.payload, 314159, "response_compressed=\(compressed) reply")
            }
        }
    }

    func clientStreaming() async throws {
        let reply = try await withClient { client in
            try await client.streamingInputCall { writer in
                for size in [27182, 8, 1828, 45904] { try await writer.write(.with { $0.payload = .zeros(size) }) }
            }
        }
        try check(reply.aggregatedPayloadSize == 74922, "aggregated_payload_size is \(reply.aggregatedPayloadSize)")
    }

    func serverStreaming() async throws {
        let sizes = [31415, 9, 2653, 58979]
        let replies = Shared<[Grpc_Testing_StreamingOutputCallResponse]>([])
        try await withClient { client in
            try await client.streamingOutputCall(streamingRequest(sizes)) { reply in replies.withLock { $0.append(reply) } }
        }
        let got = replies.withLock { $0 }
        try check(got.map(\.payload.body.count) == sizes, "reply sizes \(got.map(\.payload.body.count)), not \(sizes)")
        for (reply, size) in zip(got, sizes) { try checkZeros(reply.payload, size) }
    }

    /// Each request is written once the reply to the one before has arrived.
    func pingPong() async throws {
        let exchanges = [(31415, 27182), (9, 8), (2653, 1828), (58979, 45904)]
        let (arrivals, arrived) = AsyncStream<Void>.makeStream()
        let replies = Shared<[Grpc_Testing_StreamingOutputCallResponse]>([])
        try await withClient { client in
            try await client.fullDuplexCall { writer in
                var next = arrivals.makeAsyncIterator()
                for (responseSize, payloadSize) in exchanges {
                    try await writer.write(streamingRequest([responseSize], payload: payloadSize))
                    guard await next.next() != nil else { throw InteropFailure("the replies ended early") }
                }
            } onMessage: { reply in
                replies.withLock { $0.append(reply) }
                arrived.yield()
            }
        }
        arrived.finish()
        let got = replies.withLock { $0 }
        try check(got.map(\.payload.body.count) == exchanges.map(\.0), "reply sizes \(got.map(\.payload.body.count))")
        for (reply, exchange) in zip(got, exchanges) { try checkZeros(reply.payload, exchange.0) }
    }

    func emptyStream() async throws {
        let count = Shared(0)
        try await withClient { client in
            try await client.fullDuplexCall { _ in } onMessage: { _ in count.withLock { $0 += 1 } }
        }
        try check(count.withLock { $0 } == 0, "\(count.withLock { $0 }) replies, not none")
    }

    func timeoutOnSleepingServer() async throws {
        try await expectFailure(.deadlineExceeded) {
            try await withClient(timeout: .milliseconds(1)) { client in
                try await client.fullDuplexCall { writer in
                    try await writer.write(streamingRequest([], payload: 27182))
                    try await Task.sleep(for: .seconds(30))
                } onMessage: { _ in }
            }
        }
    }

    /// The call's task is cancelled once the call has begun, before any message is sent.
    func cancelAfterBegin() async throws {
        try await withClient { client in
            let (begun, begin) = AsyncStream<Void>.makeStream()
            let call = Task {
                _ = try await client.streamingInputCall { _ in
                    begin.yield()
                    try await Task.sleep(for: .seconds(30))
                }
            }
            var iterator = begun.makeAsyncIterator()
            _ = await iterator.next()
            call.cancel()
            try await expectFailure(.cancelled) { try await call.value }
        }
    }

    func cancelAfterFirstResponse() async throws {
        try await withClient { client in
            let (firsts, first) = AsyncStream<Grpc_Testing_StreamingOutputCallResponse>.makeStream()
            let call = Task {
                try await client.fullDuplexCall { writer in
                    try await writer.write(streamingRequest([31415], payload: 27182))
                    try await Task.sleep(for: .seconds(30))
                } onMessage: { reply in first.yield(reply) }
            }
            var iterator = firsts.makeAsyncIterator()
            guard let reply = await iterator.next() else { throw InteropFailure("no reply") }
            try checkZeros(reply.payload, 31415)
            call.cancel()
            try await expectFailure(.cancelled) { try await call.value }
        }
    }

    /// Sends both echo keys (the binary one base64-encoded, as gRPC carries it); the initial one
    /// comes back in the reply headers, the trailing one in the trailers, of both calls.
    func customMetadata() async throws {
        let trailing = Data([0xAB, 0xAB, 0xAB])
        let echoes = Shared<[(String?, String?)]>([])
        let echo = MiddlewareFunction { request, context, next in
            context.setOutgoingHeader(InteropTestService.echoInitialKey, "test_initial_metadata_value")
            context.setOutgoingHeader(InteropTestService.echoTrailingKey, trailing.base64EncodedString())
            defer {
                echoes.withLock {
                    $0.append((context.replyHeaders.first(InteropTestService.echoInitialKey),
                               context.replyTrailers.first(InteropTestService.echoTrailingKey)))
                }
            }
            return try await next(request, context)
        }
        try await withClient(middleware: [echo]) { client in
            let reply = try await client.unaryCall(.with {
                $0.responseSize = 314159
                $0.payload = .zeros(271828)
            })
            try checkZeros(reply.payload, 314159)
            let count = Shared(0)
            try await client.fullDuplexCall { writer in
                try await writer.write(streamingRequest([314159], payload: 271828))
            } onMessage: { reply in
                count.withLock { $0 += 1 }
            }
            try check(count.withLock { $0 } == 1, "FullDuplexCall: \(count.withLock { $0 }) replies, not 1")
        }
        for (initial, trailer) in echoes.withLock({ $0 }) {
            try check(initial == "test_initial_metadata_value", "initial echo \(initial ?? "missing")")
            try check(trailer.flatMap { Data(base64Encoded: $0.padding(toLength: ($0.count + 3) / 4 * 4, withPad: "=", startingAt: 0)) } == trailing,
                      "trailing echo \(trailer ?? "missing")")
        }
        try check(echoes.withLock { $0.count } == 2, "\(echoes.withLock { $0.count }) calls seen, not 2")
    }

    func statusCodeAndMessage() async throws {
        let status = Grpc_Testing_EchoStatus.with {
            $0.code = 2
            $0.message = Self.statusMessage
        }
        try await withClient { client in
            let unary = try await expectFailure(.unknown) { _ = try await client.unaryCall(.with { $0.responseStatus = status }) }
            try check(unary.message == Self.statusMessage, "UnaryCall: message \(unary.message.debugDescription)")
            let duplex = try await expectFailure(.unknown) {
                try await client.fullDuplexCall { writer in
                    try await writer.write(streamingRequest([], status: status))
                } onMessage: { _ in }
            }
            try check(duplex.message == Self.statusMessage, "FullDuplexCall: message \(duplex.message.debugDescription)")
        }
    }

    func specialStatusMessage() async throws {
        let status = Grpc_Testing_EchoStatus.with {
            $0.code = 2
            $0.message = Self.specialStatusMessage
        }
        let error = try await withClient { client in
            try await expectFailure(.unknown) { _ = try await client.unaryCall(.with { $0.responseStatus = status }) }
        }
        try check(error.message == Self.specialStatusMessage, "message \(error.message.debugDescription)")
    }

    func unimplementedMethod() async throws {
        try await withClient { client in
            try await expectFailure(.unimplemented) { _ = try await client.unimplementedCall(Grpc_Testing_Empty()) }
        }
    }

    func unimplementedService() async throws {
        try await KratosGRPCClient.with(.init(endpoint: endpoint, timeout: .seconds(20))) { client in
            try await expectFailure(.unimplemented) {
                _ = try await Grpc_Testing_UnimplementedServiceGRPCClient(client).unimplementedCall(Grpc_Testing_Empty())
            }
        }
    }
}
