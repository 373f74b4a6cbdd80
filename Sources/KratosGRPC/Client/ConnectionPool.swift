import Kratos
import KratosNIO
import Logging
import NIOCore
import Synchronization

/// A client's connections, one per address and event loop, opened on first use and again after
/// they close; calls go round-robin over the addresses, skipping one that cannot be reached. A
/// call runs on the event loop it was made on when that is one of the group's (a Kratos handler
/// calling another service), else on the next loop: either way on its connection's loop, start
/// to end.
final class ConnectionPool: Sendable {
    struct Address: Sendable, CustomStringConvertible {
        let host: String
        let port: Int
        var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    let addresses: [Address]
    private let group: any EventLoopGroup
    /// An executor per event loop of the group, for calls to run on.
    private let executors: [ObjectIdentifier: EventLoopExecutor]
    private let logger: Logger
    private let connectTimeout: Duration
    private let state: Mutex<State>

    private struct State {
        /// Per event loop, a connection per address.
        var connections: [ObjectIdentifier: [Task<GRPCClientConnection, any Error>?]] = [:]
        var next = 0
        var closed = false
    }

    init(addresses: [Address], group: any EventLoopGroup, connectTimeout: Duration, logger: Logger) {
        self.addresses = addresses
        self.group = group
        var executors: [ObjectIdentifier: EventLoopExecutor] = [:]
        for loop in group.makeIterator() { executors[ObjectIdentifier(loop)] = EventLoopExecutor(loop) }
        self.executors = executors
        self.logger = logger
        self.connectTimeout = connectTimeout
        state = Mutex(State())
    }

    /// Where a call made here runs: this event loop when it is one of the group's, else the next.
    func executor() -> EventLoopExecutor {
        let loop = group.any()
        return executors[ObjectIdentifier(loop)] ?? EventLoopExecutor(loop)
    }

    /// A usable connection on this event loop (see ``executor()``): the next address's, opened if
    /// need be; 503 when none can be reached.
    func connection() async throws -> GRPCClientConnection {
        let loop = group.any()
        let key = ObjectIdentifier(loop)
        var failures: [String] = []
        for _ in addresses.indices {
            let (index, task) = try state.withLock { state -> (Int, Task<GRPCClientConnection, any Error>) in
                guard !state.closed else { throw KratosError.serviceUnavailable("CLIENT_CLOSED", "the gRPC client is closed") }
                let index = state.next
                state.next = (state.next + 1) % addresses.count
                if let task = state.connections[key]?[index] { return (index, task) }
                let address = addresses[index]
                let task = Task { [connectTimeout, logger] in
                    try await GRPCClientConnection.connect(host: address.host, port: address.port, on: loop,
                                                           timeout: connectTimeout, logger: logger)
                }
                state.connections[key, default: Array(repeating: nil, count: addresses.count)][index] = task
                return (index, task)
            }
            do {
                let connection = try await task.value
                if connection.isUsable { return connection }
                forget(key, index, task)
                failures.append("\(addresses[index]): the connection closed")
            } catch {
                forget(key, index, task)
                failures.append("\(addresses[index]): \(error)")
            }
        }
        throw KratosError(CallStatus(code: .unavailable, message: "cannot reach the server (\(failures.joined(separator: "; ")))"))
    }

    /// Drops a connection that failed or closed, so the next call opens a new one.
    private func forget(_ loop: ObjectIdentifier, _ index: Int, _ task: Task<GRPCClientConnection, any Error>) {
        state.withLock { state in
            if let current = state.connections[loop]?[index], current == task { state.connections[loop]?[index] = nil }
        }
    }

    /// Refuses new calls and closes each connection once its calls have ended.
    func close() async {
        let tasks = state.withLock { state -> [Task<GRPCClientConnection, any Error>] in
            state.closed = true
            return state.connections.values.flatMap { $0.compactMap { $0 } }
        }
        for task in tasks {
            guard let connection = try? await task.value else { continue }
            connection.closeGracefully()
            try? await connection.channel.closeFuture.get()
        }
    }
}
