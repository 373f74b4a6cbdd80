import Kratos

/// What a client saw against a dependency that failed for a while, then recovered.
public struct BreakerScenario: Sendable {
    /// How one client call ended.
    public enum Outcome: Sendable, Hashable {
        case success
        /// Rejected by the client's breaker (503 `CIRCUITBREAKER`), not sent.
        case rejected
        /// Sent and failed.
        case failed
    }

    /// Outcomes of the calls made while the dependency failed.
    public var whileDown: [Outcome] = []
    /// Calls the dependency received while it failed.
    public var servedWhileDown = 0
    /// Outcomes of the calls made after it recovered, until `closedAfter` successes in a row (or
    /// the time ran out).
    public var afterRecovery: [Outcome] = []

    /// Whether the breaker half-opened: after recovery, some calls went through while others
    /// were still rejected.
    public var halfOpened: Bool {
        guard let firstSuccess = afterRecovery.firstIndex(of: .success), let lastRejection = afterRecovery.lastIndex(of: .rejected) else {
            return false
        }
        return firstSuccess < lastRejection
    }

    /// Whether the run ended with `count` successes in a row.
    public func closed(after count: Int) -> Bool {
        afterRecovery.count >= count && afterRecovery.suffix(count).allSatisfy { $0 == .success }
    }

    /// Makes `calls` calls while the dependency fails, then `recover`s it and calls (a call every
    /// `pause`) until `closedAfter` succeed in a row or `limit` passes.
    public static func run(calls: Int = 200, closedAfter: Int = 50, pause: Duration = .milliseconds(2), limit: Duration = .seconds(30),
                           call: @Sendable () async throws -> Void, served: @Sendable () -> Int,
                           recover: @Sendable () -> Void) async -> BreakerScenario {
        var scenario = BreakerScenario()
        for _ in 0..<calls {
            scenario.whileDown.append(await outcome(of: call))
        }
        scenario.servedWhileDown = served()
        recover()
        let end = ContinuousClock.now + limit
        while ContinuousClock.now < end, !scenario.closed(after: closedAfter) {
            scenario.afterRecovery.append(await outcome(of: call))
            try? await Task.sleep(for: pause)
        }
        return scenario
    }

    private static func outcome(of call: @Sendable () async throws -> Void) async -> Outcome {
        do {
            try await call()
            return .success
        } catch let error as KratosError where error.reason == KratosError.circuitBreakerReason {
            return .rejected
        } catch {
            return .failed
        }
    }
}
