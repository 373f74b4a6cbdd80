// The client mode shared by the bench executables: CONCURRENCY tasks each calling in a loop until
// SECONDS have passed; the rate of completed calls.

/// A reply that is not the one the bench expects.
public struct UnexpectedReply: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The arguments of `EXECUTABLE client ADDR CONCURRENCY SECONDS`, or nil for another command line.
public func clientArguments(_ arguments: [String]) -> (host: String, port: Int, concurrency: Int, seconds: Double)? {
    guard arguments.count == 5, arguments[1] == "client",
          let colon = arguments[2].lastIndex(of: ":"), let port = Int(arguments[2][arguments[2].index(after: colon)...]),
          let concurrency = Int(arguments[3]), concurrency > 0, let seconds = Double(arguments[4]), seconds > 0
    else { return nil }
    return (String(arguments[2][..<colon]), port, concurrency, seconds)
}

/// Runs `call` from `concurrency` tasks in a loop for `seconds`; returns completed calls per second.
/// The first failure ends the run with its error.
public func callsPerSecond(concurrency: Int, seconds: Double, _ call: @escaping @Sendable () async throws -> Void) async throws -> Double {
    let clock = ContinuousClock()
    let start = clock.now
    let end = start + .nanoseconds(Int64(seconds * 1e9))
    let calls = try await withThrowingTaskGroup(of: Int.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var done = 0
                while clock.now < end {
                    try await call()
                    done += 1
                }
                return done
            }
        }
        return try await group.reduce(0, +)
    }
    let elapsed = start.duration(to: clock.now)
    return Double(calls) / (Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
}
