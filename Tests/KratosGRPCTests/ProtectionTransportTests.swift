import Kratos
import KratosGRPC
import KratosTestSupport
import Synchronization
import Testing

/// The greeter as a dependency that answers UNAVAILABLE while `down` is set.
final class FlakyGreeter: Kratos_Test_V1_GreeterService {
    let down = Atomic(true)
    let served = Atomic(0)

    func sayHello(_ request: Kratos_Test_V1_HelloRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        served.add(1, ordering: .relaxed)
        if down.load(ordering: .relaxed) { throw GRPCStatusError(.unavailable, "the greeter's backend is down") }
        return .with { $0.message = "Hello \(request.name)" }
    }

    func spell(_ request: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {
        throw GRPCStatusError(.unimplemented)
    }

    func gather(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        throw GRPCStatusError(.unimplemented)
    }

    func chat(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, writer: MessageWriter<Kratos_Test_V1_HelloReply>,
              context: RequestContext) async throws {
        throw GRPCStatusError(.unimplemented)
    }
}

/// Circuit breaking and rate limiting over gRPC, on a loopback server and our client.
@Suite struct ProtectionTransportTests {
    struct Refusing: Limiter {
        func allow() -> LimiterTicket? { nil }
    }

    func withServer<T: Sendable>(_ service: some Kratos_Test_V1_GreeterService, middleware: [any Middleware] = [Recovery()],
                                 _ body: (String) async throws -> T) async throws -> T {
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0, timeout: .seconds(5))
        configuration.logger = quietLogger("test.grpc.protection")
        let server = KratosGRPCServer(configuration, middleware: middleware)
        try service.register(on: server)
        return try await KratosTestSupport.withServer(server, body)
    }

    @Test func breakerOpensHalfOpensAndClosesOverGRPC() async throws {
        let greeter = FlakyGreeter()
        try await withServer(greeter) { endpoint in
            // A 1 s window so it closes within seconds; the rest are the defaults.
            let breaker = CircuitBreakerMiddleware(SREBreaker.Configuration(window: .seconds(1), buckets: 10))
            try await KratosGRPCClient.with(.init(endpoint: endpoint), middleware: [breaker]) { client in
                let typed = Kratos_Test_V1_GreeterGRPCClient(client)
                // UNAVAILABLE arrives as 503 and counts as a failure.
                await #expect { _ = try await typed.sayHello(.with { $0.name = "first" }) } throws: { error in
                    (error as? KratosError)?.code == 503 && (error as? KratosError)?.grpcCode == .unavailable
                }
                let scenario = await BreakerScenario.run(
                    call: { _ = try await typed.sayHello(.with { $0.name = "kratos" }) },
                    served: { greeter.served.load(ordering: .relaxed) },
                    recover: { greeter.down.store(false, ordering: .relaxed) })
                #expect(scenario.servedWhileDown >= 20)
                #expect(scenario.servedWhileDown < 50, "\(scenario.servedWhileDown) of 200 calls reached the failing greeter")
                #expect(scenario.whileDown.filter { $0 == .rejected }.count > 150)
                #expect(scenario.halfOpened, "\(scenario.afterRecovery.prefix(40))")
                #expect(scenario.closed(after: 50), "\(scenario.afterRecovery.count) calls after recovery")
                #expect(!scenario.afterRecovery.contains(.failed))
            }
        }
    }

    @Test func shedCallsAreResourceExhaustedWithRateLimitExceptTheExemptedOperation() async throws {
        // Everything but SayHello is limited (health is served outside the middleware anyway).
        let limited = Selective(except: ["/kratos.test.v1.Greeter/SayHello"], RateLimitMiddleware(Refusing()))
        try await withServer(TestGreeter(), middleware: [Recovery(), limited]) { endpoint in
            try await KratosGRPCClient.with(.init(endpoint: endpoint)) { client in
                let greeter = Kratos_Test_V1_GreeterGRPCClient(client)
                await #expect {
                    try await greeter.spell(.with { $0.name = "kratos" }) { _ in }
                } throws: { error in
                    let error = error as? KratosError
                    return error?.code == 429 && error?.reason == "RATELIMIT" && error?.grpcCode == .resourceExhausted
                }
                let reply = try await greeter.sayHello(.with { $0.name = "kratos" })
                #expect(reply.message == "Hello kratos")
                let health: Grpc_Health_V1_HealthCheckResponse = try await client.unary(
                    "/grpc.health.v1.Health/Check", Grpc_Health_V1_HealthCheckRequest(), as: Grpc_Health_V1_HealthCheckResponse.self)
                #expect(health.status == .serving)
            }
        }
    }
}
