/// Exponential backoff with jitter: delays of `initial`, twice that, … up to `maximum`, each one
/// drawn between half and all of its step, so retrying clients do not move in lockstep.
struct Backoff: Sendable {
    let initial: Duration
    let maximum: Duration
    private var step: Duration

    init(initial: Duration = .milliseconds(100), maximum: Duration) {
        self.initial = initial
        self.maximum = max(maximum, initial)
        step = initial
    }

    /// The next delay.
    mutating func next() -> Duration {
        let current = step
        step = min(step * 2, maximum)
        return current * Double.random(in: 0.5...1.0)
    }

    /// Back to the initial delay, after a success.
    mutating func reset() {
        step = initial
    }

    /// Sleeps for the next delay; throws `CancellationError` when the task is cancelled.
    mutating func wait() async throws {
        try await Task.sleep(for: next())
    }
}
