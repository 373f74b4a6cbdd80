import Kratos
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SwiftProtobuf
import Synchronization

/// A gRPC server on Kratos's own engine (HTTP/2 and HPACK of its own, calls served at the frame
/// level) that runs the same middleware as ``KratosHTTPServer`` around every method, answers
/// framework errors as gRPC status with `google.rpc.ErrorInfo`, and serves the standard health
/// service and, given descriptors, reflection.
///
/// Generated code registers methods with ``unary(_:_:)`` and its streaming siblings.
///
/// ```swift
/// let server = KratosGRPCServer(.init(address: "0.0.0.0:9000"), middleware: [Recovery()])
/// greeter.register(on: server)
/// try await KratosApp(.init(name: "helloworld"), servers: [server]).run()
/// ```
public final class KratosGRPCServer: TransportServer, MiddlewareServer, Sendable {
    public let configuration: Configuration
    public let kind = TransportKind.grpc
    /// The health service's statuses; set a service's status to report it separately.
    public let health = HealthStatus()
    /// Middleware, methods, the once-only bind and the app served.
    public let core: ServerCore<PendingMethod>
    private let state = Mutex(State())

    private struct State {
        var listener: GRPCListener?
        var stopped: EventLoopFuture<Void>?
        /// Files for reflection that generated registrations brought, by name, in arrival order.
        var descriptors: [Google_Protobuf_FileDescriptorProto] = []
        var described: Set<String> = []
    }

    /// - Parameter middleware: applied to every method, the first outermost.
    public init(_ configuration: Configuration = Configuration(), middleware: [any Middleware] = [Recovery()]) {
        self.configuration = configuration
        core = ServerCore(middleware: middleware, logger: configuration.logger)
    }

    /// Adds protos to what reflection serves: a serialized `FileDescriptorSet` in base64, as
    /// generated registrations pass it. Files already known are skipped.
    public func addReflectionDescriptors(base64: String) {
        guard let bytes = Base64.decode(base64), let set = try? Google_Protobuf_FileDescriptorSet(serializedBytes: bytes) else {
            configuration.logger.warning("reflection descriptors that do not decode were ignored")
            return
        }
        state.withLock { state in
            for file in set.file where state.described.insert(file.name).inserted { state.descriptors.append(file) }
        }
    }

    // MARK: Lifecycle

    /// Starts listening (once) and returns the endpoint, e.g. `grpc://127.0.0.1:43125` (`grpcs://`
    /// with TLS).
    /// Connections wait in the backlog until ``run()``.
    public func bind() async throws -> String {
        try await core.bind { methods, middleware in
            try await self.listen(methods: methods, middleware: middleware)
        }
    }

    /// Every path the server answers: the registered methods with their middleware, then health
    /// and reflection.
    private func routes(methods: [PendingMethod], middleware: MiddlewareSet) -> [String: GRPCMethod] {
        var routes: [String: GRPCMethod] = [:]
        for method in methods {
            routes[method.operation] = method.make(middleware.chain(for: method.operation, around: method.inner))
        }
        if configuration.health { routes.merge(health.methods) { registered, _ in registered } }
        var descriptors = configuration.reflection ?? Google_Protobuf_FileDescriptorSet()
        let given = Set(descriptors.file.map(\.name))
        descriptors.file += state.withLock { $0.descriptors }.filter { !given.contains($0.name) }
        if configuration.serveReflection, !descriptors.file.isEmpty {
            let served = Set(routes.keys.compactMap { try? operationParts($0).service })
                .union(["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"])
            routes.merge(ReflectionService(descriptors, services: served.sorted()).methods) { registered, _ in registered }
        }
        return routes
    }

    private func listen(methods: [PendingMethod], middleware: MiddlewareSet) async throws -> String {
        let configuration = self.configuration
        let timeout = configuration.timeout == .zero ? nil : configuration.timeout
        let calls = GRPCServerHandler.Settings(
            methods: routes(methods: methods, middleware: middleware),
            maxRequestSize: configuration.maxRequestSize,
            maxReplySize: configuration.maxReplySize,
            timeout: timeout,
            timeoutStatus: CallStatus(KratosError.gatewayTimeout("TIMEOUT", "no answer within the server's timeout of \(configuration.timeout)")),
            replyEncoding: configuration.replyCompression,
            streamWindow: 1 << 20,
            connectionWindow: 8 << 20,
            maxConcurrentStreams: configuration.maxConcurrentStreams,
            lifecycle: ConnectionLifecycle.Limits(
                maxIdle: configuration.maxConnectionIdle.map(TimeAmount.init),
                maxAge: configuration.maxConnectionAge.map(TimeAmount.init),
                keepaliveInterval: configuration.keepaliveInterval.map(TimeAmount.init),
                keepaliveTimeout: TimeAmount(configuration.keepaliveTimeout),
                gracefulStopTimeout: TimeAmount(configuration.gracefulStopTimeout)),
            logger: configuration.logger)
        let listener = try await GRPCListener.bind(host: configuration.host, port: configuration.port,
                                                   group: configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton,
                                                   security: configuration.security, calls: calls)
        state.withLock { $0.listener = listener }
        let host = ListenAddress.advertisedHost(forBound: listener.channel.localAddress?.ipAddress ?? configuration.host)
        let endpoint = "\(configuration.security?.isEncrypted == true ? "grpcs" : "grpc")://\(host):\(listener.channel.localAddress?.port ?? configuration.port)"
        configuration.logger.info("gRPC server listening", metadata: ["endpoint": "\(endpoint)"])
        return endpoint
    }

    /// Serves until graceful shutdown: health turns NOT_SERVING, connections get GOAWAY, calls
    /// in flight finish.
    public func run() async throws {
        _ = try await bind()
        core.start()
        guard let listener = state.withLock({ $0.listener }) else { return }
        health.start()
        await listener.startAccepting()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await listener.channel.closeFuture.get()
            } onGracefulShutdown: {
                self.initiateShutdown()
            }
        } onCancel: {
            listener.channel.close(promise: nil)
        }
        if let stopped = state.withLock({ $0.stopped }) {
            try? await stopped.get()
        }
        configuration.logger.info("gRPC server stopped")
    }

    /// Stops accepting calls and waits until those in flight have finished.
    public func shutdown() async {
        try? await initiateShutdown()?.get()
    }

    /// Starts a graceful stop once; returns what completes when it is done (nil before bind).
    @discardableResult
    private func initiateShutdown() -> EventLoopFuture<Void>? {
        health.stop()
        return state.withLock { state -> EventLoopFuture<Void>? in
            if let stopped = state.stopped { return stopped }
            guard let listener = state.listener else { return nil }
            state.stopped = listener.stop()
            return state.stopped
        }
    }
}
