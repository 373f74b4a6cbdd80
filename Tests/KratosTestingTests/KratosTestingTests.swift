import Foundation
import GRPCOnlyFixture
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Kratos
import KratosGRPC
import KratosGRPCTesting
import KratosHTTP
import KratosTestSupport
import KratosTesting
import Logging
import Testing

typealias HelloRequest = Kratos_Test_V1_HelloRequest
typealias HelloReply = Kratos_Test_V1_HelloReply

/// A greeter whose replies show what reached it: the app, the metadata, the streamed names.
struct Greeter: Kratos_Test_V1_GreeterService {
    func sayHello(_ request: HelloRequest, context: RequestContext) async throws -> HelloReply {
        if request.name.isEmpty { throw KratosError.notFound("USER_NOT_FOUND", "no name").with(metadata: ["field": "name"]) }
        if request.name == "slow" { try await Task.sleep(for: .seconds(5)) }
        if request.name == "grpc-status" { throw GRPCStatusError(.notFound, "gone") }
        let tenant = context.metadata["x-md-global-tenant"].map { " of \($0)" } ?? ""
        return .with { $0.message = "Hello \(request.name)\(tenant) via \(context.kind.rawValue)" }
    }

    func spell(_ request: HelloRequest, writer: MessageWriter<HelloReply>, context: RequestContext) async throws {
        for character in request.name { try await writer.write(.with { $0.message = String(character) }) }
    }

    func gather(_ requests: MessageStream<HelloRequest>, context: RequestContext) async throws -> HelloReply {
        var names: [String] = []
        for try await request in requests { names.append(request.name) }
        return .with { $0.message = names.joined(separator: "+") }
    }

    func chat(_ requests: MessageStream<HelloRequest>, writer: MessageWriter<HelloReply>, context: RequestContext) async throws {
        for try await request in requests { try await writer.write(.with { $0.message = "hi \(request.name)" }) }
    }
}

/// Adds a reply header, so a test sees that the middleware ran.
struct Stamp: Middleware {
    func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        context.setReplyHeader("x-stamp", context.operation)
        return try await next(request, context)
    }
}

func quiet(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .critical
    return logger
}

@Suite struct HTTPInProcessTests {
    func server() throws -> KratosHTTPServer {
        var configuration = KratosHTTPServer.Configuration(host: "127.0.0.1", port: 0, timeout: .milliseconds(300))
        configuration.logger = quiet("test.http")
        let server = KratosHTTPServer(configuration, middleware: [Recovery(), Stamp()])
        try Greeter().register(on: server)
        return server
    }

    @Test func typedCallsRunTheRouteAndItsMiddlewareWithoutASocket() async throws {
        try await server().test { client in
            let reply = try await client.call(.GET, "/helloworld/kratos", as: HelloReply.self)
            #expect(reply.message == "Hello kratos via http")
            let raw = await client.execute(.GET, "/helloworld/ann", headers: ["x-md-global-tenant": "acme"])
            #expect(raw.status == .ok)
            #expect(raw.headers.first(name: "x-stamp") == Kratos_Test_V1_GreeterOperation.sayHello)
            #expect(raw.text == #"{"message":"Hello ann of acme via http"}"#)
        }
    }

    @Test func errorsComeBackAsTheErrorBody() async throws {
        try await server().test { client in
            await #expect {
                _ = try await client.call(.GET, "/helloworld/", as: HelloReply.self)
            } throws: { ($0 as? KratosError)?.code == 404 }
            let missing = await client.execute(.GET, "/no/such/route")
            #expect(missing.status == .notFound && missing.error?.reason == "NOT_FOUND")
            let slow = await client.execute(.GET, "/helloworld/slow")
            #expect(slow.status == .gatewayTimeout && slow.error?.reason == "TIMEOUT")
        }
    }
}

extension HTTPInProcessTests {
    @Test func serverStreamsComeBackAsTheirEvents() async throws {
        try await server().test { client in
            let letters = try await client.stream(.GET, "/helloworld/abc/spell", as: HelloReply.self)
            #expect(letters.map(\.message) == ["a", "b", "c"])
            let posted = try await client.stream(.POST, "/v1/spell", body: HelloRequest.with { $0.name = "xy" }, as: HelloReply.self)
            #expect(posted.map(\.message) == ["x", "y"])
            let raw = await client.execute(.GET, "/helloworld/ab/spell")
            #expect(raw.headers.first(name: "content-type") == "text/event-stream")
            #expect(raw.headers.first(name: "x-stamp") == Kratos_Test_V1_GreeterOperation.spell)
            #expect(raw.events == [.init(data: #"{"message":"a"}"#), .init(data: #"{"message":"b"}"#)])
        }
        let failing = try server()
        try failing.serverStreaming(.GET, "/fail", operation: "/test.Stream/Fail") { (_: HelloRequest, writer: MessageWriter<HelloReply>, _) in
            try await writer.write(.with { $0.message = "first" })
            throw KratosError.conflict("STREAM_BROKE", "broke after one")
        }
        try await failing.test { client in
            await #expect {
                _ = try await client.stream(.GET, "/fail", as: HelloReply.self)
            } throws: { ($0 as? KratosError)?.code == 409 && ($0 as? KratosError)?.reason == "STREAM_BROKE" }
            #expect(await client.execute(.GET, "/fail").events.map(\.name) == ["message", "error"])
        }
    }
}

@Suite struct GRPCInProcessTests {
    func server() throws -> KratosGRPCServer {
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.logger = quiet("test.grpc")
        let server = KratosGRPCServer(configuration, middleware: [Recovery(), Stamp()])
        try Greeter().register(on: server)
        return server
    }

    @Test func everyCallKindRunsWithoutASocket() async throws {
        try await server().test { client in
            let reply = try await client.unary(Kratos_Test_V1_GreeterOperation.sayHello, HelloRequest.with { $0.name = "kratos" },
                                               metadata: ["x-md-global-tenant": "acme"], as: HelloReply.self)
            #expect(reply.message == "Hello kratos of acme via grpc")
            let spelled = try await client.streaming(Kratos_Test_V1_GreeterOperation.spell, [HelloRequest.with { $0.name = "abc" }],
                                                     as: HelloReply.self)
            #expect(spelled.map(\.message) == ["a", "b", "c"])
            let names = ["x", "y"].map { name in HelloRequest.with { $0.name = name } }
            let gathered = try await client.streaming(Kratos_Test_V1_GreeterOperation.gather, names, as: HelloReply.self)
            #expect(gathered.map(\.message) == ["x+y"])
            let chatted = try await client.streaming(Kratos_Test_V1_GreeterOperation.chat, names, as: HelloReply.self)
            #expect(chatted.map(\.message) == ["hi x", "hi y"])
        }
    }

    @Test func errorsAreTheFrameworkErrorsAClientSees() async throws {
        try await server().test { client in
            await #expect {
                _ = try await client.unary(Kratos_Test_V1_GreeterOperation.sayHello, HelloRequest(), as: HelloReply.self)
            } throws: { error in
                let kratos = error as? KratosError
                return kratos?.code == 404 && kratos?.reason == "USER_NOT_FOUND" && kratos?.metadata == ["field": "name"]
            }
            await #expect {
                _ = try await client.unary("/kratos.test.v1.Greeter/Nope", HelloRequest(), as: HelloReply.self)
            } throws: { ($0 as? KratosError)?.code == 501 }
        }
        // Without Recovery (which turns any other error into UNKNOWN), a grpc-swift status thrown
        // by a handler keeps its code, as over the wire.
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.logger = quiet("test.grpc")
        let bare = KratosGRPCServer(configuration, middleware: [])
        try Greeter().register(on: bare)
        try await bare.test { client in
            await #expect {
                _ = try await client.unary(Kratos_Test_V1_GreeterOperation.sayHello, HelloRequest.with { $0.name = "grpc-status" },
                                           as: HelloReply.self)
            } throws: { ($0 as? KratosError)?.code == 404 }
        }
    }
}

@Suite struct LiveAppTests {
    /// The app on real loopback ports: the endpoints arrive once every server listens.
    @Test func theAppServesOnTheEndpointsItReports() async throws {
        var http = KratosHTTPServer.Configuration(host: "127.0.0.1", port: 0)
        http.logger = quiet("test.http")
        var grpc = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0)
        grpc.logger = quiet("test.grpc")
        let httpServer = KratosHTTPServer(http), grpcServer = KratosGRPCServer(grpc)
        try Greeter().register(on: httpServer)
        try Greeter().register(on: grpcServer)
        let app = KratosApp(.init(name: "live", signals: []), servers: [httpServer, grpcServer], logger: quiet("test.app"))
        let (text, reply) = try await app.test { endpoints in
            #expect(endpoints.count == 2 && endpoints[0].hasPrefix("http://127.0.0.1:") && endpoints[1].hasPrefix("grpc://127.0.0.1:"))
            let text = try await curl(endpoints[0] + "/helloworld/live").text
            let reply = try await KratosGRPCClient.with(.init(endpoint: endpoints[1])) { client in
                try await Kratos_Test_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "live" })
            }
            return (text, reply.message)
        }
        #expect(text == #"{"message":"Hello live via http"}"#)
        #expect(reply == "Hello live via grpc")
    }
}

/// The gRPC-only fixture (built from Kratos and KratosGRPC alone) serves through the harness.
@Suite struct GRPCOnlyFixtureTests {
    @Test func theCounterCountsAndStreams() async throws {
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.logger = quiet("test.grpc")
        let server = KratosGRPCServer(configuration)
        try Counter().register(on: server)
        try await server.test { client in
            _ = try await client.unary(Fixture_V1_CounterOperation.add, Fixture_V1_AddRequest.with { $0.name = "a"; $0.by = 2 },
                                       as: Fixture_V1_Count.self)
            let count = try await client.unary(Fixture_V1_CounterOperation.add, Fixture_V1_AddRequest.with { $0.name = "a"; $0.by = 3 },
                                               as: Fixture_V1_Count.self)
            #expect(count.value == 5)
            let counted = try await client.streaming(Fixture_V1_CounterOperation.countUp,
                                                     [Fixture_V1_AddRequest.with { $0.name = "b"; $0.by = 3 }], as: Fixture_V1_Count.self)
            #expect(counted.map(\.value) == [1, 2, 3])
        }
    }
}
