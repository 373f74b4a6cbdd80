import Kratos
import KratosNIO
import Logging
import NIOCore
import Synchronization

/// A client's connections, one per address, opened on first use and again after they close;
/// calls go round-robin over the addresses, skipping one that cannot be reached. Every
/// connection runs on the same event loop, whose executor the client's calls run on.
final class ConnectionPool: Sendable {
    struct Address: Sendable, CustomStringConvertible {
        let host: String
        let port: Int
        var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
    }

    let addresses: [Address]
    /// The event loop of every connection, and the executor calls run on.
    let executor: EventLoopExecutor
    private let logger: Logger
    private let connectTimeout: Duration
    private let state: Mutex<State>

    private struct State {
        var connections: [Task<GRPCClientConnection, any Error>?]
        var next = 0
        var closed = false
    }

    init(addresses: [Address], group: any EventLoopGroup, connectTimeout: Duration, logger: Logger) {
        self.addresses = addresses
        executor = EventLoopExecutor(group.next())
        self.logger = logger
        self.connectTimeout = connectTimeout
        state = Mutex(State(connections: Array(repeating: nil, count: addresses.count)))
    }

    /// A usable connection: the next address's, opened if need be; 503 when none can be reached.
    func connection() async throws -> GRPCClientConnection {
        var failures: [String] = []
        for _ in addresses.indices {
            let (index, task) = try state.withLock { state -> (Int, Task<GRPCClientConnection, any Error>) in
                guard !state.closed else { throw KratosError.serviceUnavailable("CLIENT_CLOSED", "the gRPC client is closed") }
                let index = state.next
                state.next = (state.next + 1) % addresses.count
                if let task = state.connections[index] { return (index, task) }
                let address = addresses[index]
                let task = Task { [executor, connectTimeout, logger] in
                    try await GRPCClientConnection.connect(host: address.host, port: address.port, on: executor.eventLoop,
                                                           timeout: connectTimeout, logger: logger)
                }
                state.connections[index] = task
                return (index, task)
            }
            do {
                let connection = try await task.value
                if connection.isUsable { return connection }
                forget(index, task)
                failures.append("\(addresses[index]): the connection closed")
            } catch {
                forget(index, task)
                failures.append("\(addresses[index]): \(error)")
            }
        }
        throw KratosError(CallStatus(code: .unavailable, message: "cannot reach the server (\(failures.joined(separator: "; ")))"))
    }

    /// Drops a connection that failed or closed, so the next call opens a new one.
    private func forget(_ index: Int, _ task: Task<GRPCClientConnection, any Error>) {
        state.withLock { state in
            if let current = state.connections[index], current == task { state.connections[index] = nil }
        }
    }

    /// Refuses new calls and closes each connection once its calls have ended.
    func close() async {
        let tasks = state.withLock { state -> [Task<GRPCClientConnection, any Error>] in
            state.closed = true
            return state.connections.compactMap { $0 }
        }
        for task in tasks {
            guard let connection = try? await task.value else { continue }
            connection.closeGracefully()
            try? await connection.channel.closeFuture.get()
        }
    }
}
