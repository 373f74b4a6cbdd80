import Synchronization

/// Picks the node for a call among the healthy ones a ``NodeSelector`` offers (go-kratos's
/// `selector.Balancer`): ``WeightedRoundRobin`` (the default), ``RandomBalancer``, ``P2CBalancer``,
/// or one of your own.
public protocol Balancer: Sendable {
    /// The index in `nodes` (never empty) of the node the next call goes to.
    func pick(_ nodes: [WeightedNode], at now: ContinuousClock.Instant) -> Int
}

/// Smooth weighted round robin, as nginx and go-kratos's `wrr` do: every node gets its weight's
/// share of the calls, interleaved rather than in runs.
public final class WeightedRoundRobin: Balancer {
    /// Each node's running weight, by address.
    private let current = Mutex<[String: Double]>([:])

    public init() {}

    public func pick(_ nodes: [WeightedNode], at now: ContinuousClock.Instant) -> Int {
        guard nodes.count > 1 else { return 0 }
        return current.withLock { current in
            var total = 0.0
            var best = 0
            var bestWeight = -Double.infinity
            for (index, weighted) in nodes.enumerated() {
                let weight = weighted.node.weight
                total += weight
                let running = current[weighted.node.address, default: 0] + weight
                current[weighted.node.address] = running
                if running > bestWeight {
                    best = index
                    bestWeight = running
                }
            }
            current[nodes[best].node.address, default: 0] -= total
            if current.count > nodes.count * 2 {
                let live = Set(nodes.map(\.node.address))
                current = current.filter { live.contains($0.key) }
            }
            return best
        }
    }
}

/// A node chosen at random, each equally likely.
public struct RandomBalancer: Balancer {
    public init() {}

    public func pick(_ nodes: [WeightedNode], at now: ContinuousClock.Instant) -> Int {
        Int.random(in: nodes.indices)
    }
}

/// The power of two choices over load (go-kratos's `p2c`): two nodes drawn at random, the one
/// with less expected cost taken — latency average × (calls in flight + 1), divided by weight
/// and success average. A node not picked for ``forcePick`` is taken once anyway, so a node that
/// was slow is measured again.
public struct P2CBalancer: Balancer {
    /// How long a node may go unpicked before it is taken once regardless of its cost.
    public var forcePick: Duration

    public init(forcePick: Duration = .seconds(1)) {
        self.forcePick = forcePick
    }

    public func pick(_ nodes: [WeightedNode], at now: ContinuousClock.Instant) -> Int {
        guard nodes.count > 1 else { return 0 }
        let a = Int.random(in: nodes.indices)
        var b = Int.random(in: 0..<(nodes.count - 1))
        if b >= a { b += 1 }
        let (better, worse) = cost(nodes[a]) <= cost(nodes[b]) ? (a, b) : (b, a)
        if let last = nodes[worse].lastPicked, now - last > forcePick { return worse }
        return better
    }

    /// What a call to `node` is expected to cost; lower is better.
    func cost(_ node: WeightedNode) -> Double {
        // A node with no latency yet costs like a fast one, so new instances get calls at once.
        let latency = max(node.latency, 1_000)
        let success = max(node.success, 0.01)
        return latency * Double(node.inflight + 1) / (node.node.weight * success * success)
    }
}
