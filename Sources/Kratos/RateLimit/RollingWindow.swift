/// Counts over a sliding window of fixed time buckets (aegis's `window.RollingCounter`): each
/// bucket holds how many values were added in its span and their sum; buckets older than the
/// window are cleared as time moves on. Not synchronised: its owner keeps it under a lock.
struct RollingWindow: Sendable {
    struct Bucket: Sendable, Equatable {
        var count = 0
        var sum = 0.0
        /// The smallest value added (infinity while empty).
        var minimum = Double.infinity
    }

    let bucketDuration: Duration
    private let origin: ContinuousClock.Instant
    private var buckets: [Bucket]
    /// The index in `buckets` of the bucket now filling.
    private var current = 0
    /// The number of the bucket now filling, counted in bucket durations from `origin`.
    private(set) var currentNumber: Int64 = 0

    /// - Parameters:
    ///   - buckets: how many buckets the window holds (at least one).
    ///   - window: the span of all buckets together.
    init(buckets: Int, window: Duration, origin: ContinuousClock.Instant) {
        let count = max(1, buckets)
        self.buckets = Array(repeating: Bucket(), count: count)
        let duration = window / count
        bucketDuration = duration > .zero ? duration : .nanoseconds(1)
        self.origin = origin
    }

    /// The number of the bucket `now` falls in (bucket 0 for instants before the origin).
    func bucketNumber(at now: ContinuousClock.Instant) -> Int64 {
        let elapsed = now - origin
        guard elapsed > .zero else { return 0 }
        return Int64((elapsed / bucketDuration).rounded(.down))
    }

    /// Moves the window to `now`, clearing the buckets it leaves behind.
    mutating func advance(to now: ContinuousClock.Instant) {
        let number = bucketNumber(at: now)
        guard number > currentNumber else { return }
        let steps = Int(min(number - currentNumber, Int64(buckets.count)))
        for step in 1...steps {
            buckets[(current + step) % buckets.count] = Bucket()
        }
        current = (current + steps) % buckets.count
        currentNumber = number
    }

    /// Adds `value` to the bucket of `now`.
    mutating func add(_ value: Double, at now: ContinuousClock.Instant) {
        advance(to: now)
        buckets[current].count += 1
        buckets[current].sum += value
        buckets[current].minimum = min(buckets[current].minimum, value)
    }

    /// The buckets of the window as of `now`, the one filling included.
    mutating func all(at now: ContinuousClock.Instant) -> [Bucket] {
        advance(to: now)
        return buckets
    }

    /// The buckets of the window that are complete as of `now` (all but the one filling), oldest
    /// first.
    mutating func completed(at now: ContinuousClock.Instant) -> [Bucket] {
        advance(to: now)
        return (1..<buckets.count).map { buckets[(current + $0) % buckets.count] }
    }
}
