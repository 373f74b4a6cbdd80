/// Running work against a deadline.
public enum Deadline {
    /// Runs `body`, throwing 504 `TIMEOUT` (DEADLINE_EXCEEDED over gRPC) and cancelling it once
    /// `deadline` passes; with no deadline it just runs `body`.
    public static func run<T: Sendable>(
        until deadline: ContinuousClock.Instant?, _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        guard let deadline else { return try await body() }
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await body() }
            group.addTask {
                try await Task.sleep(until: deadline, clock: .continuous)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else {
                throw KratosError.gatewayTimeout("TIMEOUT", "no answer before the deadline")
            }
            return value
        }
    }

    /// Runs `body`, throwing 504 `TIMEOUT` when it takes longer than `timeout`.
    public static func run<T: Sendable>(within timeout: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
        try await run(until: .now + timeout, body)
    }
}

extension Duration {
    /// Whole nanoseconds, saturating at `Int64`'s range: a `.seconds(.max)` meaning "forever"
    /// becomes the longest time NIO can wait instead of trapping.
    public var saturatingNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let (nanoseconds, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (total, overflowTotal) = nanoseconds.addingReportingOverflow(attoseconds / 1_000_000_000)
        return overflowTotal ? (nanoseconds < 0 ? .min : .max) : total
    }
}
