import Foundation
import Kratos
import KratosGRPC
import KratosTestSupport
import Testing

/// A middleware that hands on a value of another type gets a framework error over gRPC too, and
/// calls that arrive before `run()` are served knowing the app.
@Suite struct GRPCBoundaryTests {
    /// Replaces every request with a string.
    struct Replace: Middleware {
        func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
            try await next("not the request", context)
        }
    }

    /// Replaces every reply with a number.
    struct ReplaceReply: Middleware {
        func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
            _ = try await next(request, context)
            return 7
        }
    }

    static func isTypeMismatch(_ error: any Error, _ message: String) -> Bool {
        let kratos = error as? KratosError
        return kratos?.code == 500 && kratos?.reason == "TYPE_MISMATCH" && kratos?.message == message
    }

    @Test func aReplacedRequestOrReplyIsAnInternalErrorNamingBothTypes() async throws {
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.logger = quietLogger("test.grpc")
        let server = KratosGRPCServer(configuration, middleware: [Recovery()])
        server.use(["/kratos.test.v1.Greeter/SayHello", "/kratos.test.v1.Greeter/Chat", "/kratos.test.v1.Greeter/Spell"], Replace())
        server.use(["/kratos.test.v1.Greeter/Gather"], ReplaceReply())
        try TestGreeter().register(on: server)
        let endpoint = try await server.bind()
        let running = Task { try await server.run() }
        defer { running.cancel() }
        try await withGreeterClient(endpoint) { greeter in
            await #expect {
                _ = try await greeter.sayHello(.with { $0.name = "a" })
            } throws: {
                Self.isTypeMismatch($0, "/kratos.test.v1.Greeter/SayHello: the request is String, not Kratos_Test_V1_HelloRequest")
            }
            await #expect {
                try await greeter.spell(.with { $0.name = "a" }, onMessage: { _ in })
            } throws: { error in
                let kratos = error as? KratosError
                return kratos?.reason == "TYPE_MISMATCH" && kratos?.message.hasPrefix("/kratos.test.v1.Greeter/Spell: the request is String") == true
            }
            await #expect {
                try await greeter.chat(requests: { try await $0.write(.with { $0.name = "a" }) }, onMessage: { _ in })
            } throws: { error in
                let kratos = error as? KratosError
                return kratos?.reason == "TYPE_MISMATCH" && kratos?.message.hasPrefix("/kratos.test.v1.Greeter/Chat: the request is String") == true
            }
            // A replaced reply of a streaming call is not looked at (the replies went out as
            // written), and the server still serves.
            let gathered = try await greeter.gather { try await $0.write(.with { $0.name = "b" }) }
            #expect(gathered.message == "Hello b")
        }
        await server.shutdown()
        _ = await running.result
    }

    @Test func aClientMiddlewareThatReplacesTheRequestOrReplyFailsTheCall() async throws {
        try await withGreeterServer { _, endpoint in
            _ = try await KratosGRPCClient.with(.init(endpoint: endpoint), middleware: [Replace()]) { client in
                await #expect {
                    _ = try await Kratos_Test_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "a" })
                } throws: {
                    Self.isTypeMismatch($0, "/kratos.test.v1.Greeter/SayHello: the request is String, not Kratos_Test_V1_HelloRequest")
                }
            }
            _ = try await KratosGRPCClient.with(.init(endpoint: endpoint), middleware: [ReplaceReply()]) { client in
                await #expect {
                    _ = try await Kratos_Test_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "a" })
                } throws: {
                    Self.isTypeMismatch($0, "/kratos.test.v1.Greeter/SayHello: the reply is Int, not Kratos_Test_V1_HelloReply")
                }
            }
        }
    }

    /// The listener accepts at `bind()`; a call made before the app runs the server waits for it
    /// and sees the app.
    @Test func aCallBeforeRunSeesTheApp() async throws {
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.logger = quietLogger("test.grpc")
        let server = KratosGRPCServer(configuration)
        try TestGreeter().register(on: server)
        let app = KratosApp(.init(name: "early", signals: []), servers: [server], logger: quietLogger("test.app"))
        let endpoint = try await server.bind()
        let message = try await withGreeterClient(endpoint, timeout: .seconds(5)) { greeter in
            async let reply = greeter.sayHello(.with { $0.name = "whoami" })
            // Time for a server that serves at bind to answer without an app (the defect).
            try await Task.sleep(for: .milliseconds(200))
            let running = Task { try await app.run() }
            let message = try await reply.message
            await app.stop()
            try await running.value
            return message
        }
        #expect(message == "early")
    }
}
