import API
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Kratos
import KratosGRPC
import KratosGRPCTesting
import KratosTesting
import Logging
import Testing
@testable import KratosLayout

/// The greeter through the servers' routes, middleware and handlers, in-process (no sockets),
/// and once live on loopback ports.
@Suite struct GreeterTests {
    static let bootstrap = Bootstrap(
        server: .init(http: .init(addr: "127.0.0.1:0", timeout: .seconds(1)), grpc: .init(addr: "127.0.0.1:0", timeout: .seconds(1))),
        data: .init(database: .init(driver: "memory", source: "")),
        log: nil
    )

    static var logger: Logger {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        return logger
    }

    @Test func greetsOverHTTP() async throws {
        try await wireServers(Self.bootstrap, logger: Self.logger).http.test { client in
            let reply = try await client.call(.GET, "/helloworld/kratos", as: Helloworld_V1_HelloReply.self)
            #expect(reply.message == "Hello kratos")
            // An empty name matches no route over HTTP: the router's 404, before the greeter.
            let missing = await client.execute(.GET, "/helloworld/")
            #expect(missing.status == .notFound && missing.error?.reason == "NOT_FOUND")
            // A name over 64 characters breaks HelloRequest's rules (api/helloworld/v1/greeter.proto):
            // the validate middleware answers 400 VALIDATOR before the greeter.
            let long = await client.execute(.GET, "/helloworld/" + String(repeating: "x", count: 65))
            #expect(long.status == .badRequest && long.error?.reason == "VALIDATOR")
            #expect(long.error?.message == "name: must be at most 64 characters [string.max_len]")
            #expect(long.error?.violations == [Violation(field: "name", rule: "string.max_len", message: "must be at most 64 characters")])
        }
    }

    /// The metrics middleware counts each request; GET /metrics serves them for Prometheus.
    @Test func servesMetrics() async throws {
        try await wireServers(Self.bootstrap, logger: Self.logger).http.test { client in
            _ = try await client.call(.GET, "/helloworld/kratos", as: Helloworld_V1_HelloReply.self)
            _ = try await client.call(.GET, "/helloworld/kratos", as: Helloworld_V1_HelloReply.self)
            let metrics = await client.execute(.GET, "/metrics")
            #expect(metrics.status == .ok)
            #expect(metrics.text.contains(#"server_requests_code_total{kind="http",operation="/helloworld.v1.Greeter/SayHello",code="200",reason=""} 2"#),
                    "\(metrics.text)")
            #expect(metrics.text.contains("server_requests_seconds_bucket"))
        }
    }

    @Test func greetsOverGRPC() async throws {
        try await wireServers(Self.bootstrap, logger: Self.logger).grpc.test { client in
            let reply = try await client.unary(Helloworld_V1_GreeterOperation.sayHello, Helloworld_V1_HelloRequest.with { $0.name = "grpc" },
                                               as: Helloworld_V1_HelloReply.self)
            #expect(reply.message == "Hello grpc")
            // Names of 1 to 64 characters only: 400 VALIDATOR (gRPC INVALID_ARGUMENT), as a remote
            // client sees it.
            for name in ["", String(repeating: "x", count: 65)] {
                await #expect {
                    _ = try await client.unary(Helloworld_V1_GreeterOperation.sayHello, Helloworld_V1_HelloRequest.with { $0.name = name },
                                               as: Helloworld_V1_HelloReply.self)
                } throws: { error in
                    let error = error as? KratosError
                    return error?.reason == "VALIDATOR" && error?.grpcCode == .invalidArgument && error?.violations.count == 1
                }
            }
        }
    }

    /// The business logic guards itself too: an empty name is the API's USER_NOT_FOUND error.
    @Test func theUsecaseRefusesAnEmptyName() async throws {
        let usecase = GreeterUsecase(GreeterRepo(Self.bootstrap.data), logger: Self.logger)
        await #expect { _ = try await usecase.greet("") } throws: { Helloworld_V1_ErrorReason.isUserNotFound($0) }
        #expect(try await usecase.greet("kratos") == "Hello kratos")
    }

    /// The whole app on real ports: a request over the wire to each server.
    @Test func servesLive() async throws {
        let app = try wireApp(Self.bootstrap, id: "test", logger: Self.logger)
        try await app.test { endpoints in
            let url = try #require(URL(string: endpoints[0] + "/helloworld/kratos"))
            let (body, response) = try await URLSession.shared.data(from: url)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            #expect(String(decoding: body, as: UTF8.self) == #"{"message":"Hello kratos"}"#)
            let reply = try await KratosGRPCClient.with(.init(endpoint: endpoints[1])) { client in
                try await Helloworld_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "grpc" })
            }
            #expect(reply.message == "Hello grpc")
        }
    }
}
