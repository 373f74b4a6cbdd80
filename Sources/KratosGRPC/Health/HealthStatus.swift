import GRPCCore
import GRPCProtobuf
import Synchronization

/// The statuses `grpc.health.v1.Health` reports: the server as a whole (service `""`) and any
/// service whose status is set. Check answers NOT_FOUND for an unknown service; Watch streams
/// every change until the call ends.
public final class HealthStatus: RegistrableRPCService, Sendable {
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

    private static let check = MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Check")
    private static let list = MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "List")
    private static let watch = MethodDescriptor(fullyQualifiedService: "grpc.health.v1.Health", method: "Watch")

    public func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(forMethod: Self.check, deserializer: ProtobufDeserializer<Grpc_Health_V1_HealthCheckRequest>(),
                               serializer: ProtobufSerializer<Grpc_Health_V1_HealthCheckResponse>()) { request, _ in
            let service = try await ServerRequest(stream: request).message.service
            guard let status = self.status(of: service) else {
                return StreamingServerResponse(error: RPCError(code: .notFound, message: "unknown service \(service)"))
            }
            return StreamingServerResponse(single: ServerResponse(message: .with { $0.status = status.wire }))
        }
        router.registerHandler(forMethod: Self.list, deserializer: ProtobufDeserializer<Grpc_Health_V1_HealthListRequest>(),
                               serializer: ProtobufSerializer<Grpc_Health_V1_HealthListResponse>()) { _, _ in
            let statuses = self.state.withLock { $0.statuses }
            return StreamingServerResponse(single: ServerResponse(message: .with { reply in
                for (service, status) in statuses { reply.statuses[service] = .with { $0.status = status.wire } }
            }))
        }
        router.registerHandler(forMethod: Self.watch, deserializer: ProtobufDeserializer<Grpc_Health_V1_HealthCheckRequest>(),
                               serializer: ProtobufSerializer<Grpc_Health_V1_HealthCheckResponse>()) { request, _ in
            let service = try await ServerRequest(stream: request).message.service
            return StreamingServerResponse { writer in
                let (changes, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
                let id = self.state.withLock { state in
                    defer { state.nextWatcher += 1 }
                    state.watchers[state.nextWatcher] = continuation
                    return state.nextWatcher
                }
                defer { _ = self.state.withLock { $0.watchers.removeValue(forKey: id) } }
                var last: Grpc_Health_V1_HealthCheckResponse.ServingStatus?
                continuation.yield()
                for await _ in changes {
                    let status = self.status(of: service)?.wire ?? .serviceUnknown
                    if status != last {
                        try await writer.write(.with { $0.status = status })
                        last = status
                    }
                }
                return [:]
            }
        }
    }
}
