import Kratos
import KratosNIO
import Logging
import NIOCore
import Synchronization

/// A client's connections, one per node and event loop, opened on first use and again after
/// they close. Each call takes a node from the client's ``ClientTarget`` (the one node of a
/// single address needs no choice); a node that cannot be reached is skipped for a while and the
/// call goes to another. A node that leaves the target keeps its connections until their calls
/// end. A call runs on the event loop it was made on when that is one of the group's (a Kratos
/// handler calling another service), else on the next loop: either way on its connection's
/// loop, start to end.
final class ConnectionPool: Sendable {
    struct Address: Sendable, Hashable, CustomStringConvertible {
        let host: String
        let port: Int
        var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

        /// `host:port` or `[v6]:port`.
        init(_ text: String) throws {
            guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
                throw KratosError.badRequest("BAD_ENDPOINT", "\(text) is not host:port")
            }
            var host = text[..<colon]
            if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
            self.host = String(host)
            self.port = port
        }
    }

    let target: ClientTarget
    /// The address of a target naming one.
    private let single: Address?
    private let group: any EventLoopGroup
    /// An executor per event loop of the group, for calls to run on.
    private let executors: [ObjectIdentifier: EventLoopExecutor]
    private let logger: Logger
    private let connectTimeout: Duration
    private let security: (any ClientConnectionSecurity)?
    private let state: Mutex<State>

    private typealias Opening = Task<GRPCClientConnection, any Error>

    private struct State {
        /// Per event loop, a connection per node address.
        var connections: [ObjectIdentifier: [String: Opening]] = [:]
        var closed = false
    }

    /// - Throws: 400 `BAD_ENDPOINT` when a fixed address is not `host:port`.
    init(target: ClientTarget, group: any EventLoopGroup, connectTimeout: Duration, security: (any ClientConnectionSecurity)?,
         logger: Logger) throws {
        self.security = security
        self.target = target
        for node in target.selector.all { _ = try Address(node.address) }
        single = try target.single.map { try Address($0.address) }
        self.group = group
        var executors: [ObjectIdentifier: EventLoopExecutor] = [:]
        for loop in group.makeIterator() { executors[ObjectIdentifier(loop)] = EventLoopExecutor(loop) }
        self.executors = executors
        self.logger = logger
        self.connectTimeout = connectTimeout
        state = Mutex(State())
        target.onRemoved { [weak self] nodes in self?.drop(nodes) }
    }

    /// Where a call made here runs: this event loop when it is one of the group's, else the next.
    func executor() -> EventLoopExecutor {
        let loop = group.any()
        return executors[ObjectIdentifier(loop)] ?? EventLoopExecutor(loop)
    }

    /// A usable connection on this event loop (see ``executor()``) and the node it leads to (nil
    /// for a single address): the chosen node's, opened if need be. Up to three nodes are tried.
    /// - Parameter excluded: nodes (endpoints) a call was already refused by.
    /// - Throws: 503 `NODE_NOT_FOUND` with no node, UNAVAILABLE when none can be reached.
    func connection(waitingUpTo wait: Duration, excluding excluded: Set<String> = []) async throws -> (GRPCClientConnection, PickedNode?) {
        if let single { return (try await connection(to: single.description, at: single), nil) }
        var tried = excluded
        var failures: [String] = []
        while true {
            let picked: PickedNode
            do {
                picked = try await target.select(waitingUpTo: wait, excluding: tried)
            } catch {
                guard !failures.isEmpty else { throw error }
                throw unreachable(failures)
            }
            do {
                return (try await connection(to: picked.node.address), picked)
            } catch {
                picked.done(.unreachable)
                tried.insert(picked.node.endpoint)
                failures.append((error as? KratosError)?.message ?? "\(picked.node.address): \(error)")
                if failures.count >= 3 { throw unreachable(failures) }
            }
        }
    }

    private func unreachable(_ failures: [String]) -> KratosError {
        KratosError(CallStatus(code: .unavailable, message: "cannot reach \(target.endpoint) (\(failures.joined(separator: "; ")))"))
    }

    /// The connection to the node at `key` (`host:port`) on this event loop, opened if need be
    /// (again, once, when the one there has closed or is going away); the address is parsed only
    /// to open one.
    /// - Throws: UNAVAILABLE naming the address when it cannot be reached.
    private func connection(to key: String, at known: Address? = nil) async throws -> GRPCClientConnection {
        let loop = group.any()
        let loopKey = ObjectIdentifier(loop)
        for _ in 0..<2 {
            let task = try state.withLock { state -> Opening in
                guard !state.closed else { throw KratosError.serviceUnavailable("CLIENT_CLOSED", "the gRPC client is closed") }
                if let task = state.connections[loopKey]?[key] { return task }
                let address = try known ?? Address(key)
                let task = Task { [connectTimeout, security, logger] in
                    try await GRPCClientConnection.connect(host: address.host, port: address.port, on: loop,
                                                           timeout: connectTimeout, security: security, logger: logger)
                }
                state.connections[loopKey, default: [:]][key] = task
                return task
            }
            do {
                let connection = try await task.value
                if connection.isUsable { return connection }
                forget(loopKey, key, task)
            } catch {
                forget(loopKey, key, task)
                throw KratosError(CallStatus(code: .unavailable, message: "cannot reach the server (\(key): \(error))"))
            }
        }
        throw KratosError(CallStatus(code: .unavailable, message: "cannot reach the server (\(key): the connection closed)"))
    }

    /// Drops a connection that failed or closed, so the next call opens a new one.
    private func forget(_ loop: ObjectIdentifier, _ key: String, _ task: Opening) {
        state.withLock { state in
            if let current = state.connections[loop]?[key], current == task { state.connections[loop]?[key] = nil }
        }
    }

    /// Nodes that left the target: their connections close once their calls end.
    private func drop(_ nodes: [Node]) {
        let tasks = state.withLock { state -> [Opening] in
            var dropped: [Opening] = []
            for loop in Array(state.connections.keys) {
                for node in nodes {
                    if let task = state.connections[loop]?.removeValue(forKey: node.address) { dropped.append(task) }
                }
            }
            return dropped
        }
        guard !tasks.isEmpty else { return }
        Task {
            for task in tasks { (try? await task.value)?.closeGracefully() }
        }
    }

    /// Refuses new calls and closes each connection once its calls have ended.
    func close() async {
        let tasks = state.withLock { state -> [Opening] in
            state.closed = true
            return state.connections.values.flatMap { $0.values }
        }
        target.close()
        for task in tasks {
            guard let connection = try? await task.value else { continue }
            connection.closeGracefully()
            try? await connection.channel.closeFuture.get()
        }
    }
}
