import Foundation
import Synchronization

/// A node with what its calls have shown: calls in flight, a moving average of their latency
/// and success, and whether it is skipped after failing (passive health). A ``Balancer`` reads
/// these to pick.
public final class WeightedNode: Sendable {
    public let node: Node
    private let inflightCount = Atomic<Int>(0)
    private let stats: Mutex<Stats>

    struct Stats {
        /// Moving average of call latency, in nanoseconds; 0 until a call ends.
        var latency: Double = 0
        /// Moving average of calls that did not fail, 0…1.
        var success: Double = 1
        var updated: ContinuousClock.Instant?
        var lastPicked: ContinuousClock.Instant?
        /// Transport failures in a row, and until when the node is skipped for them.
        var failures = 0
        var skippedUntil: ContinuousClock.Instant?
    }

    /// How fast the averages forget: the weight of a sample `tau` old falls to 1/e.
    static let tau: Double = 0.6e9
    /// Skipping after a transport failure lasts this long, doubled per failure in a row up to
    /// ``maximumSkip``.
    static let firstSkip = Duration.seconds(1)
    static let maximumSkip = Duration.seconds(30)

    public init(_ node: Node) {
        self.node = node
        stats = Mutex(Stats())
    }

    /// Calls picked here that have not ended.
    public var inflight: Int { inflightCount.load(ordering: .relaxed) }

    /// The latency average in nanoseconds (0 before any call ended).
    public var latency: Double { stats.withLock { $0.latency } }

    /// The success average, 0…1.
    public var success: Double { stats.withLock { $0.success } }

    /// When a call was last picked here.
    public var lastPicked: ContinuousClock.Instant? { stats.withLock { $0.lastPicked } }

    /// Whether the node is being skipped after transport failures.
    public func isSkipped(at now: ContinuousClock.Instant) -> Bool {
        stats.withLock { $0.skippedUntil.map { now < $0 } ?? false }
    }

    func picked(at now: ContinuousClock.Instant) {
        inflightCount.add(1, ordering: .relaxed)
        stats.withLock { $0.lastPicked = now }
    }

    /// A call picked at `start` ended with `outcome`.
    func ended(_ outcome: CallOutcome, started start: ContinuousClock.Instant, at now: ContinuousClock.Instant) {
        inflightCount.subtract(1, ordering: .relaxed)
        let elapsed = Double((now - start).saturatingNanoseconds)
        stats.withLock { stats in
            let decay: Double
            if let updated = stats.updated {
                let gap = Double(max(now - updated, .zero).saturatingNanoseconds)
                decay = exp(-gap / Self.tau)
            } else {
                decay = 0
            }
            stats.updated = now
            stats.latency = stats.latency * decay + elapsed * (1 - decay)
            stats.success = stats.success * decay + (outcome == .success ? 1 : 0) * (1 - decay)
            switch outcome {
            case .success, .failed:
                stats.failures = 0
                stats.skippedUntil = nil
            case .unreachable:
                stats.failures += 1
                let factor = 1 << min(stats.failures - 1, 5)
                stats.skippedUntil = now + min(Self.firstSkip * factor, Self.maximumSkip)
            }
        }
    }
}

/// How a call to a node ended, as the node's health sees it.
public enum CallOutcome: Sendable, Equatable {
    /// An answer that is not a failure of the node.
    case success
    /// The node answered with a failure of its own (5xx, UNAVAILABLE, a deadline passed).
    case failed
    /// The node could not be reached or dropped the connection: skipped for a while.
    case unreachable
}
