import Foundation
import Logging
import Synchronization

/// Where a client's calls go, read from its endpoint: one address (`host:port`,
/// `scheme://host:port`), a fixed list (`direct:///h1:p1,h2:p2`), or the instances of a service
/// found through a ``Discovery`` (`discovery:///name`) and followed as they change. Each call
/// takes a node from ``selector``.
public final class ClientTarget: Sendable {
    public let endpoint: String
    public let selector: NodeSelector
    /// The service name of a `discovery:///` endpoint.
    public let serviceName: String?
    /// The one node of an endpoint naming one address: a client may call it without selecting.
    public let single: Node?
    private let discovery: (any Discovery)?
    private let schemes: [String]
    private let logger: Logger
    private let state = Mutex<State>(State())

    private struct State {
        var watch: Task<Void, Never>?
        var resolved = false
        var waiters: [Int: CheckedContinuation<Void, Never>] = [:]
        var nextWaiter = 0
        var removedHandlers: [@Sendable ([Node]) -> Void] = []
        var closed = false
    }

    /// - Parameters:
    ///   - schemes: the endpoint schemes the client speaks, preferred first; the first is the
    ///     scheme of addresses given without one.
    ///   - discovery: resolves `discovery:///name`; without it such an endpoint fails every call
    ///     with 503 `NODE_NOT_FOUND`.
    /// - Throws: 400 `BAD_ENDPOINT` for an endpoint naming no address.
    public init(endpoint: String, schemes: [String], discovery: (any Discovery)? = nil, balancer: any Balancer = WeightedRoundRobin(),
                filters: [NodeFilter] = [], logger: Logger = Logger(label: "kratos.client")) throws {
        self.endpoint = endpoint
        self.schemes = schemes
        self.discovery = discovery
        self.logger = logger
        let defaultScheme = schemes.first ?? "http"
        if endpoint.hasPrefix("discovery://") {
            let name = String(endpoint.dropFirst("discovery://".count).split(separator: "/").last ?? "")
            guard !name.isEmpty else {
                throw KratosError.badRequest("BAD_ENDPOINT", "\(endpoint) names no service; write discovery:///<name>")
            }
            serviceName = name
            single = nil
            selector = NodeSelector(balancer: balancer, filters: filters, target: name)
            return
        }
        serviceName = nil
        let nodes: [Node]
        if endpoint.hasPrefix("direct:///") {
            nodes = endpoint.dropFirst("direct:///".count).split(separator: ",").map {
                Node(scheme: defaultScheme, address: String($0).trimmingCharacters(in: .whitespaces))
            }
        } else if let split = endpoint.range(of: "://") {
            let scheme = endpoint[..<split.lowerBound].lowercased()
            var address = endpoint[split.upperBound...]
            while address.hasPrefix("/") { address = address.dropFirst() }
            nodes = [Node(scheme: schemes.contains(scheme) ? scheme : defaultScheme, address: String(address))]
        } else {
            nodes = [Node(scheme: defaultScheme, address: endpoint)]
        }
        guard !nodes.isEmpty, nodes.allSatisfy({ !$0.address.isEmpty }) else {
            throw KratosError.badRequest("BAD_ENDPOINT", "\(endpoint) names no address; write host:port, direct:///h1:p1,h2:p2 or discovery:///name")
        }
        single = nodes.count == 1 ? nodes[0] : nil
        selector = NodeSelector(balancer: balancer, filters: filters, target: endpoint)
        selector.update(nodes)
        state.withLock { $0.resolved = true }
    }

    deinit {
        state.withLock { $0.watch }?.cancel()
    }

    /// Picks the node for a call. The first call to a discovered service waits (up to `wait`)
    /// for the registry's first answer.
    /// - Throws: 503 `NODE_NOT_FOUND` when no node can take the call.
    public func select(waitingUpTo wait: Duration, excluding excluded: Set<String> = []) async throws -> PickedNode {
        if !state.withLock({ $0.resolved }) { try await resolve(waitingUpTo: wait) }
        return try selector.select(excluding: excluded)
    }

    /// Calls `handler` with the nodes that leave (so a client closes their connections once
    /// their calls end).
    public func onRemoved(_ handler: @escaping @Sendable ([Node]) -> Void) {
        state.withLock { $0.removedHandlers.append(handler) }
    }

    /// Stops following the registry.
    public func close() {
        let (task, waiters) = state.withLock { state in
            state.closed = true
            defer { state.waiters = [:] }
            return (state.watch, Array(state.waiters.values))
        }
        task?.cancel()
        for waiter in waiters { waiter.resume() }
    }

    private func resolve(waitingUpTo wait: Duration) async throws {
        guard let serviceName else { return }
        guard let discovery else {
            throw KratosError.serviceUnavailable("NODE_NOT_FOUND", "\(endpoint) needs a discovery (the client's configuration names none)")
        }
        startWatching(serviceName, discovery)
        let resolved = try? await Deadline.run(within: wait) { [self] in
            await self.firstAnswer()
            return true
        }
        guard resolved == true, state.withLock({ $0.resolved }) else {
            throw KratosError.serviceUnavailable("NODE_NOT_FOUND", "the registry gave no instance of \(serviceName) within \(wait)")
        }
    }

    private func startWatching(_ name: String, _ discovery: any Discovery) {
        state.withLock { state in
            guard state.watch == nil, !state.closed else { return }
            state.watch = Task { [weak self, schemes, selector, logger] in
                for await instances in discovery.watch(name) {
                    let nodes = Node.nodes(of: instances, schemes: schemes)
                    if nodes.count < instances.count {
                        logger.debug("instances without an endpoint this client speaks are left out",
                                     metadata: ["service": "\(name)", "schemes": "\(schemes)"])
                    }
                    let removed = selector.update(nodes)
                    guard let self else { return }
                    let (waiters, handlers) = self.state.withLock { state in
                        state.resolved = true
                        defer { state.waiters = [:] }
                        return (Array(state.waiters.values), state.removedHandlers)
                    }
                    for waiter in waiters { waiter.resume() }
                    if !removed.isEmpty { for handler in handlers { handler(removed) } }
                }
            }
        }
    }

    /// Returns once the registry's first list has arrived, the target closed, or the task is cancelled.
    private func firstAnswer() async {
        let id = state.withLock { state -> Int in
            state.nextWaiter += 1
            return state.nextWaiter
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let done = state.withLock { state -> Bool in
                    if state.resolved || state.closed || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if done { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}
