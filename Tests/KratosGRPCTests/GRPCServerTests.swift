import Foundation
import Kratos
import KratosGRPC
import KratosHTTP
import KratosTestSupport
import Logging
import SwiftProtobuf
import Synchronization
import Testing

@Suite struct GRPCServerTests {
    @Test func unaryAnswersAndReportsItsEndpoint() async throws {
        try await withGreeterServer { _, endpoint in
            #expect(endpoint.hasPrefix("grpc://127.0.0.1:"))
            #expect(Int(endpoint.split(separator: ":").last!)! > 0)
            let reply = try await withGreeterClient(endpoint) { try await $0.sayHello(.with { $0.name = "kratos" }) }
            #expect(reply.message == "Hello kratos")
        }
    }

    @Test func everyStreamingKind() async throws {
        try await withGreeterServer { _, endpoint in
            try await withGreeterClient(endpoint) { greeter in
                let spelled = Mutex<[String]>([])
                try await greeter.spell(.with { $0.name = "abc" }) { reply in spelled.withLock { $0.append(reply.message) } }
                #expect(spelled.withLock { $0 } == ["a", "b", "c"])

                let gathered = try await greeter.gather { writer in
                    for name in ["ann", "bob", "cy"] { try await writer.write(.with { $0.name = name }) }
                }
                #expect(gathered.message == "Hello ann, bob, cy")

                let chatted = Mutex<[String]>([])
                try await greeter.chat { writer in
                    for name in ["x", "y"] { try await writer.write(.with { $0.name = name }) }
                } onMessage: { reply in chatted.withLock { $0.append(reply.message) } }
                #expect(chatted.withLock { $0 } == ["Hello x", "Hello y"])
            }
        }
    }

    /// The server ends a bidirectional call while the client's request side still waits: the
    /// call returns with what the server said, and the request side is cancelled, not awaited.
    @Test func aBidiCallTheServerEndsReturnsWhileRequestsAreStillOpen() async throws {
        try await withGreeterServer { _, endpoint in
            try await withGreeterClient(endpoint, timeout: .seconds(60)) { greeter in
                let replies = Mutex<[String]>([])
                let start = ContinuousClock.now
                try await greeter.chat { writer in
                    try await writer.write(.with { $0.name = "bye" })
                    try await Task.sleep(for: .seconds(30))
                } onMessage: { reply in replies.withLock { $0.append(reply.message) } }
                #expect(replies.withLock { $0 } == ["Bye"])
                #expect(ContinuousClock.now - start < .seconds(5))
            }
        }
    }

    @Test func frameworkErrorsArriveWithCodeReasonAndMetadata() async throws {
        try await withGreeterServer { _, endpoint in
            try await withGreeterClient(endpoint) { greeter in
                let error = await #expect(throws: KratosError.self) { try await greeter.sayHello(.with { $0.name = "missing" }) }
                #expect(error?.code == 404)
                #expect(error?.reason == "USER_NOT_FOUND")
                #expect(error?.message == "user missing not found")
                #expect(error?.metadata == ["user": "missing"])
                #expect(error?.is(.notFound("USER_NOT_FOUND", "")) == true)

                // From inside a bidirectional stream too.
                let streamed = await #expect(throws: KratosError.self) {
                    try await greeter.chat { writer in try await writer.write(.with { $0.name = "missing" }) } onMessage: { _ in }
                }
                #expect(streamed?.code == 404 && streamed?.reason == "USER_NOT_FOUND")
            }
        }
    }

    @Test func plainErrorsBecomeUnknownWithoutLeaking() async throws {
        try await withGreeterServer { _, endpoint in
            let error = await #expect(throws: KratosError.self) {
                try await withGreeterClient(endpoint) { try await $0.sayHello(.with { $0.name = "boom" }) }
            }
            #expect(error?.code == 500)
            #expect(error?.reason == "UNKNOWN")
            #expect(error?.message == "unknown request error")
            #expect(!(error.map { "\($0.message) \($0.metadata)" } ?? "").contains("hunter2"))
        }
    }

    @Test func serverTimeoutEndsTheCallWithDeadlineExceeded() async throws {
        try await withGreeterServer(timeout: .milliseconds(200)) { _, endpoint in
            let start = ContinuousClock.now
            let error = await #expect(throws: KratosError.self) {
                try await withGreeterClient(endpoint) { try await $0.sayHello(.with { $0.name = "slow" }) }
            }
            #expect(error?.code == 504)
            #expect(KratosError(code: error?.code ?? 0, reason: "", message: "").grpcCode == .deadlineExceeded)
            #expect(ContinuousClock.now - start < .seconds(3))
        }
    }

    @Test func clientDeadlineShorterThanTheHandler() async throws {
        try await withGreeterServer(timeout: .seconds(10)) { _, endpoint in
            let start = ContinuousClock.now
            let error = await #expect(throws: KratosError.self) {
                try await withGreeterClient(endpoint, timeout: .milliseconds(300)) { try await $0.sayHello(.with { $0.name = "slow" }) }
            }
            #expect(error?.code == 504, "\(String(describing: error))")
            #expect(ContinuousClock.now - start < .seconds(3))
        }
    }

    @Test func metadataTravelsAsOverHTTP() async throws {
        try await withGreeterServer { _, endpoint in
            let reply = try await Metadata.$outgoing.withValue(["x-md-global-tenant": "acme", "x-md-local-hop": "1"]) {
                try await withGreeterClient(endpoint) { try await $0.sayHello(.with { $0.name = "metadata" }) }
            }
            #expect(reply.message == "x-md-global-tenant=acme;x-md-local-hop=1")
        }
    }

    @Test func healthTurnsNotServingOnStop() async throws {
        let server = try await withGreeterServer { server, _ in
            // run() marks the server serving as it starts; wait for it (bounded), then check.
            for _ in 0..<500 where server.health.status(of: "") != .serving {
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(server.health.status(of: "") == .serving)
            return server
        }
        #expect(server.health.status(of: "") == .notServing)
    }

    /// A Watch call sees SERVING, then NOT_SERVING when the server stops; the stop is not held
    /// up by the open watch.
    @Test func healthWatchSeesTheStop() async throws {
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.logger = quietLogger("test.grpc")
        let server = KratosGRPCServer(configuration)
        let endpoint = try await server.bind()
        let running = Task { try await server.run() }
        let seen = Shared<[Grpc_Health_V1_HealthCheckResponse.ServingStatus]>([])
        try await KratosGRPCClient.with(.init(endpoint: endpoint, timeout: .seconds(20))) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await client.serverStreaming("/grpc.health.v1.Health/Watch", Grpc_Health_V1_HealthCheckRequest(),
                                                     as: Grpc_Health_V1_HealthCheckResponse.self) { reply in
                        seen.withLock { $0.append(reply.status) }
                    }
                }
                for _ in 0..<500 where seen.withLock({ $0 }) != [.serving] {
                    try await Task.sleep(for: .milliseconds(10))
                }
                await server.shutdown()
                try await group.waitForAll()
            }
        }
        _ = await running.result
        #expect(seen.withLock { $0 } == [.serving, .notServing])
    }

    @Test func oneMiddlewareSeesHTTPAndGRPCCallsOfTheSameOperation() async throws {
        let recorder = Recorder()
        var http = KratosHTTPServer.Configuration(host: "127.0.0.1", port: 0)
        http.logger = quietLogger("test.http")
        let httpServer = KratosHTTPServer(http, middleware: [Recovery(), recorder])
        try TestGreeter().register(on: httpServer)
        let httpEndpoint = try await httpServer.bind()
        let running = Task { try await httpServer.run() }
        defer { running.cancel() }
        try await withGreeterServer(middleware: [Recovery(), recorder]) { _, endpoint in
            let viaHTTP = try await runProcess("/usr/bin/curl", ["-sS", httpEndpoint + "/helloworld/kratos"])
            #expect(String(decoding: viaHTTP.stdout, as: UTF8.self) == #"{"message":"Hello kratos"}"#)
            let viaGRPC = try await withGreeterClient(endpoint) { try await $0.sayHello(.with { $0.name = "kratos" }) }
            #expect(viaGRPC.message == "Hello kratos")
        }
        await httpServer.shutdown()
        #expect(recorder.calls.withLock { $0 } == [
            "http /kratos.test.v1.Greeter/SayHello",
            "grpc /kratos.test.v1.Greeter/SayHello",
        ])
    }

    @Test func appRunsHTTPAndGRPCSideBySide() async throws {
        var http = KratosHTTPServer.Configuration(host: "127.0.0.1", port: 0)
        http.logger = quietLogger("test.http")
        let httpServer = KratosHTTPServer(http)
        var grpc = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0)
        grpc.logger = quietLogger("test.grpc")
        let grpcServer = KratosGRPCServer(grpc)
        try TestGreeter().register(on: httpServer)
        try TestGreeter().register(on: grpcServer)
        let app = KratosApp(.init(name: "greeter", signals: []), servers: [httpServer, grpcServer], logger: quietLogger("test.app"))
        let running = Task { try await app.run() }
        let httpEndpoint = try await httpServer.bind(), grpcEndpoint = try await grpcServer.bind()
        let viaHTTP = try await runProcess("/usr/bin/curl", ["-sS", "--retry", "5", "--retry-connrefused", httpEndpoint + "/helloworld/app"])
        #expect(String(decoding: viaHTTP.stdout, as: UTF8.self) == #"{"message":"Hello app"}"#)
        let viaGRPC = try await withGreeterClient(grpcEndpoint) { try await $0.sayHello(.with { $0.name = "app" }) }
        #expect(viaGRPC.message == "Hello app")
        await app.stop()
        try await running.value
    }
}

/// The same server through Python's grpcio (PyPI), with stubs made by grpc_tools.protoc.
@Suite struct GRPCInteropTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func pythonGrpcioClientSeesRepliesStatusesAndErrorInfo() async throws {
        let stubs = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-py-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: stubs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: stubs) }
        let protos = Self.root.appendingPathComponent("Tests/KratosTestSupport/Protos").path
        let generated = try await runProcess("/usr/bin/env", [
            "python3", "-m", "grpc_tools.protoc", "-I", protos, "-I", Self.root.appendingPathComponent("Templates/service/third_party").path,
            "--python_out=\(stubs.path)", "--grpc_python_out=\(stubs.path)",
            "\(protos)/kratos/test/v1/greeter.proto", "\(protos)/kratos/test/v1/test.proto",
        ])
        #expect(generated.status == 0, "\(String(decoding: generated.stderr, as: UTF8.self))")
        // The descriptors reflection serves, as protoc writes them.
        let descriptors = stubs.appendingPathComponent("greeter.desc").path
        let described = try await runProcess("/usr/bin/protoc", [
            "-I", protos, "-I", Self.root.appendingPathComponent("Templates/service/third_party").path, "--include_imports",
            "--descriptor_set_out=\(descriptors)", "\(protos)/kratos/test/v1/greeter.proto",
        ])
        #expect(described.status == 0, "\(String(decoding: described.stderr, as: UTF8.self))")

        try await withGreeterServer(timeout: .seconds(5), reflection: try ReflectionService.descriptorSet(contentsOf: descriptors)) { _, endpoint in
            let script = Self.root.appendingPathComponent("Tests/KratosGRPCTests/Python/greeter_client.py").path
            let run = try await runProcess("/usr/bin/env", ["python3", script, stubs.path, String(endpoint.dropFirst("grpc://".count))])
            #expect(run.status == 0, "\(String(decoding: run.stderr, as: UTF8.self))")
            let result = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any] ?? [:]
            #expect(result["hello"] as? String == "Hello kratos")
            #expect(result["spell"] as? [String] == ["p", "y"])
            let error = result["error"] as? [String: Any] ?? [:]
            #expect(error["code"] as? String == "NOT_FOUND")
            #expect(error["message"] as? String == "user missing not found")
            #expect(error["reason"] as? String == "USER_NOT_FOUND")
            #expect(error["metadata"] as? [String: String] == ["user": "missing"])
            #expect(result["deadline"] as? String == "DEADLINE_EXCEEDED")
            #expect(result["health"] as? String == "SERVING")
            let reflection = result["reflection"] as? [String: Any] ?? [:]
            #expect(reflection["services"] as? [String] == [
                "grpc.health.v1.Health", "grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection",
                "kratos.test.v1.Greeter",
            ])
            #expect(reflection["input"] as? String == "kratos.test.v1.HelloRequest")
            #expect(reflection["fields"] as? [String] == ["message"])
        }
    }
}
