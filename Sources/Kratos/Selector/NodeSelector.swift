import Synchronization

/// The nodes a client may call and the choice among them for each call (go-kratos's
/// `selector.Selector`): the current nodes, narrowed by filters, without the ones skipped after
/// failing (unless every one is), then the ``Balancer``'s pick.
///
/// ```swift
/// let selector = NodeSelector(balancer: P2CBalancer(), filters: [.version("v2")])
/// selector.update(nodes)
/// let picked = try selector.select()
/// defer { picked.done(.success) }
/// ```
public final class NodeSelector: Sendable {
    public let balancer: any Balancer
    public let filters: [NodeFilter]
    /// What ``select()`` names in its error when no node is left.
    public let target: String
    private let nodes = Mutex<[WeightedNode]>([])

    public init(balancer: any Balancer = WeightedRoundRobin(), filters: [NodeFilter] = [], target: String = "the service") {
        self.balancer = balancer
        self.filters = filters
        self.target = target
    }

    /// Replaces the nodes; a node still present keeps what its calls have shown. Returns the
    /// nodes that left.
    @discardableResult
    public func update(_ newNodes: [Node]) -> [Node] {
        nodes.withLock { current in
            var byAddress: [String: WeightedNode] = [:]
            for weighted in current { byAddress[weighted.node.endpoint] = weighted }
            var next: [WeightedNode] = []
            var seen = Set<String>()
            for node in newNodes where seen.insert(node.endpoint).inserted {
                if let kept = byAddress[node.endpoint], kept.node == node {
                    next.append(kept)
                } else {
                    next.append(WeightedNode(node))
                }
            }
            let removed = current.filter { !seen.contains($0.node.endpoint) }.map(\.node)
            current = next
            return removed
        }
    }

    /// The nodes now, filters not applied.
    public var all: [Node] { nodes.withLock { $0.map(\.node) } }

    /// Picks the node for a call; report how it ended with ``PickedNode/done(_:)``.
    /// - Throws: 503 `NODE_NOT_FOUND` when no node passes the filters.
    public func select(excluding excluded: Set<String> = []) throws -> PickedNode {
        let now = ContinuousClock.now
        let all = nodes.withLock { $0 }
        var candidates = all
        if !filters.isEmpty {
            var passing = all.map(\.node)
            for filter in filters { passing = filter.apply(passing) }
            let kept = Set(passing.map(\.endpoint))
            candidates = all.filter { kept.contains($0.node.endpoint) }
        }
        if !excluded.isEmpty { candidates.removeAll { excluded.contains($0.node.endpoint) } }
        guard !candidates.isEmpty else {
            throw KratosError.serviceUnavailable("NODE_NOT_FOUND", "no node of \(target) to call"
                + (all.isEmpty ? "" : " (\(all.count) known, none passing the filters)"))
        }
        let healthy = candidates.count == 1 ? candidates : candidates.filter { !$0.isSkipped(at: now) }
        let pool = healthy.isEmpty ? candidates : healthy
        let index = balancer.pick(pool, at: now)
        let chosen = pool.indices.contains(index) ? pool[index] : pool[0]
        chosen.picked(at: now)
        return PickedNode(chosen, at: now)
    }
}

/// The node a call goes to; tell it how the call ended, once.
public struct PickedNode: Sendable {
    public let weighted: WeightedNode
    let start: ContinuousClock.Instant

    init(_ weighted: WeightedNode, at start: ContinuousClock.Instant) {
        self.weighted = weighted
        self.start = start
    }

    public var node: Node { weighted.node }

    /// Records how the call ended (latency, success, passive health).
    public func done(_ outcome: CallOutcome) {
        weighted.ended(outcome, started: start, at: .now)
    }
}
