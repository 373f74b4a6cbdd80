import Kratos
import Synchronization

/// The statuses `grpc.health.v1.Health` reports: the server as a whole (service `""`) and any
/// service whose status is set. Check answers NOT_FOUND for an unknown service; Watch streams
/// every change until the call ends.
public final class HealthStatus: Sendable {
    /// A service's serving status.
    public enum Status: Sendable {
        case serving
        case notServing

        var wire: Grpc_Health_V1_HealthCheckResponse.ServingStatus {
            switch self {
            case .serving: .serving
            case .notServing: .notServing
            }
        }
    }

    private struct State {
        var statuses: [String: Status] = ["": .notServing]
        var watchers: [Int: AsyncStream<Void>.Continuation] = [:]
        var nextWatcher = 0
    }

    private let state = Mutex(State())

    public init() {}

    /// Sets `service`'s status (`""` is the whole server) and tells every watcher.
    public func set(_ service: String, _ status: Status) {
        let watchers = state.withLock { state in
            state.statuses[service] = status
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.yield() }
    }

    /// Marks the server and every service set so far serving.
    func start() {
        let watchers = state.withLock { state in
            for key in state.statuses.keys { state.statuses[key] = .serving }
            return Array(state.watchers.values)
        }
        for watcher in watchers { watcher.yield() }
    }

    /// Marks everything not serving and ends every Watch call once it has sent that, so a
    /// graceful stop is not held up by watchers.
    func stop() {
        let watchers = state.withLock { state in
            for key in state.statuses.keys { state.statuses[key] = .notServing }
            return Array(state.watchers.values)
        }
        for watcher in watchers {
            watcher.yield()
            watcher.finish()
        }
    }

    /// The status of `service`, nil when it is unknown.
    public func status(of service: String) -> Status? {
        state.withLock { $0.statuses[service] }
    }

    /// The health service's methods, as the engine serves them (outside the middleware).
    var methods: [String: GRPCMethod] {
        [
            "/grpc.health.v1.Health/Check": .unary(Grpc_Health_V1_HealthCheckRequest.self) { request, _ in
                guard let status = self.status(of: request.service) else {
                    throw GRPCStatusError(.notFound, "unknown service \(request.service)")
                }
                return Grpc_Health_V1_HealthCheckResponse.with { $0.status = status.wire }
            },
            "/grpc.health.v1.Health/List": .unary(Grpc_Health_V1_HealthListRequest.self) { _, _ in
                let statuses = self.state.withLock { $0.statuses }
                return Grpc_Health_V1_HealthListResponse.with { reply in
                    for (service, status) in statuses { reply.statuses[service] = .with { $0.status = status.wire } }
                }
            },
            "/grpc.health.v1.Health/Watch": .serverStreaming(Grpc_Health_V1_HealthCheckRequest.self,
                                                             Grpc_Health_V1_HealthCheckResponse.self) { request, writer, _ in
                try await self.watch(request.service, writer)
            },
        ]
    }

    /// Streams `service`'s status, once now and again on every change, until the server stops.
    private func watch(_ service: String, _ writer: MessageWriter<Grpc_Health_V1_HealthCheckResponse>) async throws {
        let (changes, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let id = state.withLock { state in
            defer { state.nextWatcher += 1 }
            state.watchers[state.nextWatcher] = continuation
            return state.nextWatcher
        }
        defer { _ = state.withLock { $0.watchers.removeValue(forKey: id) } }
        var last: Grpc_Health_V1_HealthCheckResponse.ServingStatus?
        continuation.yield()
        for await _ in changes {
            let status = self.status(of: service)?.wire ?? .serviceUnknown
            if status != last {
                try await writer.write(.with { $0.status = status })
                last = status
            }
        }
    }
}
