import Synchronization

/// Google SRE client-side adaptive throttling ("Handling Overload" in the SRE book), as go-kratos
/// aegis's `circuitbreaker/sre`: over a sliding window the breaker counts `requests` (every call
/// the client attempted, rejected ones included) and `accepts` (calls the dependency answered
/// well). Calls pass while `requests` is below the threshold or below `K × accepts`; beyond,
/// each call is rejected with probability `max(0, (requests − K × accepts) / (requests + 1))`.
///
/// So a dependency answering nothing but failures sees few calls (the breaker is open); once it
/// recovers, the calls that still pass succeed, `accepts` grows and the rejection probability
/// falls (half-open) until none are rejected (closed).
public final class SREBreaker: Breaker {
    /// The SRE book's and go-kratos's issue values: K = 2, 20 requests, a 10 s window.
    public struct Configuration: Sendable, Hashable {
        /// The multiplier K on accepts: lower rejects sooner. Kept within 1.5 to 2.
        public var k: Double
        /// Fewer requests than this in the window never cause a rejection.
        public var requestThreshold: Int
        /// The span over which requests and accepts are counted.
        public var window: Duration
        /// How many buckets the window is cut into (it slides one bucket at a time).
        public var buckets: Int

        public init(k: Double = 2, requestThreshold: Int = 20, window: Duration = .seconds(10), buckets: Int = 10) {
            self.k = k
            self.requestThreshold = requestThreshold
            self.window = window
            self.buckets = buckets
        }
    }

    /// Whether the breaker rejects calls at all now (aegis's `StateOpen`/`StateClosed`).
    public enum State: Sendable, Hashable {
        case closed
        case open
    }

    public let configuration: Configuration
    private let k: Double
    private let random: @Sendable () -> Double
    private let now: @Sendable () -> ContinuousClock.Instant
    private let window: Mutex<RollingWindow>
    private let currentState = Mutex(State.closed)

    /// - Parameters:
    ///   - random: a number in `0..<1` for each decision; tests pass fixed ones.
    ///   - now: the clock; tests pass one they move by hand.
    public init(_ configuration: Configuration = Configuration(), random: @escaping @Sendable () -> Double = { Double.random(in: 0..<1) },
                now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.configuration = configuration
        k = min(2, max(1.5, configuration.k.isNaN ? 2 : configuration.k))
        self.random = random
        self.now = now
        window = Mutex(RollingWindow(buckets: configuration.buckets, window: configuration.window, origin: now()))
    }

    /// Requests and accepts in the window now.
    public var counts: (requests: Int, accepts: Int) {
        let at = now()
        return window.withLock { window in
            window.all(at: at).reduce(into: (0, 0)) { counts, bucket in
                counts.0 += bucket.count
                counts.1 += Int(bucket.sum)
            }
        }
    }

    public var state: State { currentState.withLock { $0 } }

    /// The probability the next call is rejected: 0 while closed.
    public var rejectionProbability: Double {
        let (requests, accepts) = counts
        let weighted = k * Double(accepts)
        guard requests >= configuration.requestThreshold, Double(requests) >= weighted else { return 0 }
        return max(0, (Double(requests) - weighted) / Double(requests + 1))
    }

    public func allow() throws {
        let probability = rejectionProbability
        currentState.withLock { $0 = probability > 0 ? .open : .closed }
        if probability > 0, random() < probability {
            throw KratosError.circuitBreakerOpen()
        }
    }

    public func markSuccess() {
        let at = now()
        window.withLock { $0.add(1, at: at) }
    }

    public func markFailed() {
        let at = now()
        window.withLock { $0.add(0, at: at) }
    }
}
