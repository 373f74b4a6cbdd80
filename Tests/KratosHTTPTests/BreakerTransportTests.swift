import Kratos
import KratosHTTP
import KratosHTTPClient
import KratosTestSupport
import Synchronization
import Testing

/// The client's circuit breaker against a real HTTP dependency that answers 503 for a while.
@Suite struct BreakerTransportTests {
    /// A 1 s window (instead of 10 s), so the breaker closes within seconds once the dependency
    /// recovers; K, the threshold and the formula are the defaults.
    static let breaker = SREBreaker.Configuration(window: .seconds(1), buckets: 10)

    final class Dependency: Sendable {
        let down = Atomic(true)
        let served = Atomic(0)
    }

    @Test func opensFailsFastHalfOpensAndClosesOverHTTP() async throws {
        let dependency = Dependency()
        let server = loopbackServer()
        try server.route(.GET, "/orders/{name}", operation: "/test.Orders/Get") { (request: HelloRequest, _) -> HelloReply in
            dependency.served.add(1, ordering: .relaxed)
            if dependency.down.load(ordering: .relaxed) { throw KratosError.serviceUnavailable("DOWN", "the orders database is down") }
            return HelloReply.with { $0.message = "order \(request.name)" }
        }
        try await withServer(server) { endpoint in
            let client = KratosHTTPClient(.init(endpoint: endpoint), middleware: [CircuitBreakerMiddleware(Self.breaker)])
            let scenario = await BreakerScenario.run(
                call: { _ = try await client.invoke(.GET, "/orders/7", operation: "/test.Orders/Get", as: HelloReply.self) },
                served: { dependency.served.load(ordering: .relaxed) },
                recover: { dependency.down.store(false, ordering: .relaxed) })
            // Open: after the 20 calls of the threshold, nearly all are rejected without calling.
            #expect(scenario.servedWhileDown >= 20)
            #expect(scenario.servedWhileDown < 50, "\(scenario.servedWhileDown) of 200 calls reached the failing dependency")
            #expect(scenario.whileDown.filter { $0 == .rejected }.count > 150)
            #expect(!scenario.whileDown.contains(.success))
            // Recovered: half-open (some pass, some still rejected), then closed.
            #expect(scenario.halfOpened, "\(scenario.afterRecovery.prefix(40))")
            #expect(scenario.closed(after: 50), "\(scenario.afterRecovery.count) calls after recovery")
            #expect(!scenario.afterRecovery.contains(.failed))
        }
    }

    @Test func anUnreachableDependencyOpensTheBreakerToo() async throws {
        // A port nothing listens on: the client's 503 UNAVAILABLE (and, once the node is set
        // aside, 504 waiting for another) count as failures. The default 10 s window.
        let endpoint = "http://127.0.0.1:1"
        let middleware = CircuitBreakerMiddleware()
        let client = KratosHTTPClient(.init(endpoint: endpoint, timeout: .milliseconds(100)), middleware: [middleware])
        var outcomes: [BreakerScenario.Outcome] = []
        for _ in 0..<40 {
            do {
                _ = try await client.invoke(.GET, "/orders/7", operation: "/test.Orders/Get", as: HelloReply.self)
                outcomes.append(.success)
            } catch let error as KratosError {
                outcomes.append(error.reason == "CIRCUITBREAKER" ? .rejected : .failed)
            }
        }
        #expect(outcomes.prefix(20).allSatisfy { $0 == .failed })
        #expect(outcomes.filter { $0 == .rejected }.count > 10)
    }

    struct Refusing: Limiter {
        func allow() -> LimiterTicket? { nil }
    }

    @Test func selectorsChooseWhatIsGuardedOnServerAndClient() async throws {
        let orders = Dependency(), health = Dependency()
        let server = loopbackServer()
        // Server side: only the reports service is rate limited (here: everything shed).
        server.use(["/test.Reports/*"], RateLimitMiddleware(Refusing()))
        try server.route(.GET, "/reports/{name}", operation: "/test.Reports/Get") { (request: HelloRequest, _) -> HelloReply in
            HelloReply.with { $0.message = "report \(request.name)" }
        }
        for (path, operation, dependency) in [("/orders/{name}", "/test.Orders/Get", orders), ("/healthz/{name}", "/test.Health/Check", health)] {
            try server.route(.GET, path, operation: operation) { (_: HelloRequest, _) -> HelloReply in
                dependency.served.add(1, ordering: .relaxed)
                throw KratosError.serviceUnavailable("DOWN", "down")
            }
        }
        try await withServer(server) { endpoint in
            let report = try await curl(endpoint + "/reports/q3")
            #expect(report.status == 429)
            #expect(try report.json()["reason"] as? String == "RATELIMIT")
            #expect(try await curl(endpoint + "/orders/1").status == 503)

            // Client side: the breaker guards every operation but health.
            let breaker = CircuitBreakerMiddleware { _ in SREBreaker(random: { 0 }) }
            let client = KratosHTTPClient(.init(endpoint: endpoint), middleware: [Selective(except: ["/test.Health/*"], breaker)])
            for _ in 0..<30 {
                _ = try? await client.invoke(.GET, "/orders/1", operation: "/test.Orders/Get", as: HelloReply.self)
                _ = try? await client.invoke(.GET, "/healthz/1", operation: "/test.Health/Check", as: HelloReply.self)
            }
            // One call by curl, then 20 until the breaker opened; health got all 30.
            #expect(orders.served.load(ordering: .relaxed) == 21)
            #expect(health.served.load(ordering: .relaxed) == 30)
        }
    }
}
