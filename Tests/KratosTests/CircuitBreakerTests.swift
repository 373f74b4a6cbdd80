@testable import Kratos
import Synchronization
import Testing

@Suite struct SREBreakerTests {
    let clock = ManualClock()

    /// A breaker deciding with `random` as its only draw.
    func breaker(_ configuration: SREBreaker.Configuration = .init(), random: Double) -> SREBreaker {
        SREBreaker(configuration, random: { random }, now: clock.reader)
    }

    func record(_ breaker: SREBreaker, successes: Int = 0, failures: Int = 0) {
        for _ in 0..<successes { breaker.markSuccess() }
        for _ in 0..<failures { breaker.markFailed() }
    }

    @Test func fewerRequestsThanTheThresholdNeverReject() throws {
        let breaker = breaker(random: 0)
        record(breaker, failures: 19)
        try breaker.allow()
        #expect(breaker.state == .closed)
        #expect(breaker.rejectionProbability == 0)
    }

    @Test func rejectionProbabilityIsRequestsBeyondKTimesAccepts() throws {
        let breaker = breaker(random: 0.5)
        record(breaker, failures: 20)
        // (20 − 2 × 0) / 21
        #expect(abs(breaker.rejectionProbability - 20.0 / 21) < 1e-9)
        #expect(throws: KratosError.self) { try breaker.allow() }
        #expect(breaker.state == .open)
        record(breaker, successes: 5, failures: 5)
        // (30 − 2 × 5) / 31 ≈ 0.645: a draw of 0.5 is still rejected, 0.7 passes.
        #expect(abs(breaker.rejectionProbability - 20.0 / 31) < 1e-9)
        #expect(throws: KratosError.self) { try breaker.allow() }
        let lucky = SREBreaker(random: { 0.7 }, now: clock.reader)
        record(lucky, successes: 5, failures: 25)
        try lucky.allow()
        // Once requests are within K × accepts, none is rejected.
        record(breaker, successes: 20)
        #expect(breaker.rejectionProbability == 0)
        try breaker.allow()
        #expect(breaker.state == .closed)
    }

    @Test func theErrorIs503CircuitBreaker() {
        let breaker = breaker(random: 0)
        record(breaker, failures: 40)
        #expect {
            try breaker.allow()
        } throws: { error in
            let error = error as? KratosError
            return error?.code == 503 && error?.reason == "CIRCUITBREAKER" && error?.grpcCode == .unavailable
        }
    }

    @Test func kIsConfigurableWithin1point5And2() throws {
        let k15 = breaker(.init(k: 1.5), random: 0)
        record(k15, successes: 10, failures: 10)
        // (20 − 1.5 × 10) / 21
        #expect(abs(k15.rejectionProbability - 5.0 / 21) < 1e-9)
        let k2 = breaker(random: 0)
        record(k2, successes: 10, failures: 10)
        #expect(k2.rejectionProbability == 0)
        let tooLow = breaker(.init(k: 0.5), random: 0)
        record(tooLow, successes: 10, failures: 10)
        #expect(abs(tooLow.rejectionProbability - 5.0 / 21) < 1e-9)
    }

    @Test func theWindowForgetsOldCalls() throws {
        let breaker = breaker(random: 0)
        record(breaker, failures: 30)
        #expect([breaker.counts.requests, breaker.counts.accepts] == [30, 0])
        clock.advance(.seconds(5))
        record(breaker, failures: 10)
        #expect([breaker.counts.requests, breaker.counts.accepts] == [40, 0])
        clock.advance(.seconds(6))              // the first 30 are older than 10 s
        #expect([breaker.counts.requests, breaker.counts.accepts] == [10, 0])
        try breaker.allow()
        #expect(breaker.state == .closed)
    }
}

@Suite struct CircuitBreakerMiddlewareTests {
    func context(_ operation: String) -> RequestContext {
        RequestContext(kind: .http, endpoint: "http://127.0.0.1:8000", operation: operation)
    }

    @Test func eachOperationHasItsOwnBreaker() async throws {
        let made = Mutex<[String]>([])
        let middleware = CircuitBreakerMiddleware { operation in
            made.withLock { $0.append(operation) }
            return SREBreaker(random: { 0 })
        }
        let calls = Mutex<[String: Int]>([:])
        let failing: Middleware.Handler = { _, context in
            calls.withLock { $0[context.operation, default: 0] += 1 }
            throw KratosError.serviceUnavailable("DOWN", "down")
        }
        for _ in 0..<30 {
            _ = try? await middleware.handle("x", context: context("/a.A/Get"), next: failing)
        }
        // 20 calls open the breaker; the other 10 are rejected without calling.
        #expect(calls.withLock { $0["/a.A/Get"] } == 20)
        await #expect {
            _ = try await middleware.handle("x", context: context("/a.A/Get"), next: failing)
        } throws: { error in
            (error as? KratosError)?.reason == "CIRCUITBREAKER"
        }
        // Rejected calls count as failed requests.
        let a = try #require(middleware.breaker(for: "/a.A/Get") as? SREBreaker)
        #expect([a.counts.requests, a.counts.accepts] == [31, 0])
        // Another operation of the same client is unaffected.
        let reply = try await middleware.handle("x", context: context("/b.B/Get")) { _, _ in "ok" }
        #expect(reply as? String == "ok")
        #expect(made.withLock { $0 } == ["/a.A/Get", "/b.B/Get"])
    }

    @Test func onlyServerSideFailuresCount() {
        typealias M = CircuitBreakerMiddleware
        #expect(M.verdict(of: KratosError.internalServer("X", "")) == .failure)
        #expect(M.verdict(of: KratosError.serviceUnavailable("UNAVAILABLE", "")) == .failure)
        #expect(M.verdict(of: KratosError.gatewayTimeout("TIMEOUT", "")) == .failure)
        #expect(M.verdict(of: KratosError(code: 502, reason: "", message: "")) == .success)
        #expect(M.verdict(of: KratosError.notFound("NO", "")) == .success)
        #expect(M.verdict(of: KratosError.tooManyRequests("RATELIMIT", "")) == .success)
        #expect(M.verdict(of: KratosError.clientClosed("CANCELED", "")) == .ignored)
        #expect(M.verdict(of: CancellationError()) == .ignored)
        struct Plain: Error {}
        #expect(M.verdict(of: Plain()) == .failure)
    }
}
