import GRPCCore
import GRPCNIOTransportHTTP2Posix
import Kratos
import Logging
import ServiceLifecycle
import Synchronization

/// A gRPC server on grpc-swift-2 and its NIO HTTP/2 transport that runs the same middleware as
/// ``KratosHTTPServer`` around every method, answers framework errors as gRPC status with
/// `google.rpc.ErrorInfo`, and serves the standard health service.
///
/// Generated code registers methods with ``unary(_:_:)`` and its streaming siblings; plain
/// grpc-swift services can be added with ``register(_:)``.
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
    /// Holds calls accepted before ``run()`` until the app is known.
    let started = StartGate()
    private let state = Mutex(State())

    private struct State {
        var services: [any RegistrableRPCService] = []
        var server: GRPCServer<HTTP2ServerTransport.Posix>?
        var serving: Task<Void, any Error>?
    }

    /// - Parameter middleware: applied to every method, the first outermost.
    public init(_ configuration: Configuration = Configuration(), middleware: [any Middleware] = [Recovery()]) {
        self.configuration = configuration
        core = ServerCore(middleware: middleware, logger: configuration.logger)
    }

    /// Adds a plain grpc-swift service (no framework middleware runs around it).
    public func register(_ service: any RegistrableRPCService) {
        guard !core.warnIfBound("service \(type(of: service))") else { return }
        state.withLock { $0.services.append(service) }
    }

    // MARK: Lifecycle

    /// Starts listening (once) and returns the endpoint, e.g. `grpc://127.0.0.1:43125`. Calls
    /// that arrive before ``run()`` wait for it.
    public func bind() async throws -> String {
        try await core.bind { methods, middleware in
            try await self.listen(methods: methods, middleware: middleware)
        }
    }

    private func listen(methods: [PendingMethod], middleware: MiddlewareSet) async throws -> String {
        var router = RPCRouter<HTTP2ServerTransport.Posix>()
        for method in methods {
            method.register(&router, middleware.chain(for: method.operation, around: method.inner))
        }
        for service in state.withLock({ $0.services }) { service.registerMethods(with: &router) }
        if configuration.health { health.registerMethods(with: &router) }
        if let descriptors = configuration.reflection {
            let served = Set(router.methods.map(\.service.fullyQualifiedService))
                .union(["grpc.reflection.v1.ServerReflection", "grpc.reflection.v1alpha.ServerReflection"])
            ReflectionService(descriptors, services: served.sorted()).registerMethods(with: &router)
        }

        var config = HTTP2ServerTransport.Posix.Config.defaults
        config.rpc.maxRequestPayloadSize = configuration.maxRequestSize
        let transport = HTTP2ServerTransport.Posix(
            address: configuration.host.contains(":") ? .ipv6(host: configuration.host, port: configuration.port)
                                                      : .ipv4(host: configuration.host, port: configuration.port),
            transportSecurity: .plaintext, config: config)
        let server = GRPCServer(transport: transport, router: router)
        let serving = Task { try await server.serve() }
        state.withLock {
            $0.server = server
            $0.serving = serving
        }
        let address = try await transport.listeningAddress
        let port = address.ipv4?.port ?? address.ipv6?.port ?? configuration.port
        let endpoint = "grpc://\(ListenAddress.advertisedHost(forBound: configuration.host)):\(port)"
        configuration.logger.info("gRPC server listening", metadata: ["endpoint": "\(endpoint)"])
        return endpoint
    }

    /// Serves until graceful shutdown: health turns NOT_SERVING, new calls are refused, calls in
    /// flight finish.
    public func run() async throws {
        _ = try await bind()
        core.start()
        started.open()
        guard let (server, serving) = state.withLock({ state -> (GRPCServer<HTTP2ServerTransport.Posix>, Task<Void, any Error>)? in
            guard let server = state.server, let serving = state.serving else { return nil }
            return (server, serving)
        }) else { return }
        health.start()
        try await withTaskCancellationHandler {
            try await withGracefulShutdownHandler {
                try await serving.value
            } onGracefulShutdown: {
                self.health.stop()
                server.beginGracefulShutdown()
            }
        } onCancel: {
            serving.cancel()
        }
        configuration.logger.info("gRPC server stopped")
    }

    /// Stops accepting calls and waits until those in flight have finished.
    public func shutdown() async {
        let (server, serving) = state.withLock { ($0.server, $0.serving) }
        // Calls held for a `run()` that never came are let through to finish.
        started.open()
        health.stop()
        server?.beginGracefulShutdown()
        _ = try? await serving?.value
    }
}
