import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Kratos
import Logging
import ServiceLifecycle
import SwiftProtobuf
import Synchronization

/// A gRPC server on grpc-swift-2 and its NIO HTTP/2 transport that runs the same middleware as
/// ``HTTPServer`` around every method, answers framework errors as gRPC status with
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
public final class KratosGRPCServer: TransportServer, Sendable {
    public struct Configuration: Sendable {
        /// Host to bind, e.g. `0.0.0.0` or `127.0.0.1`.
        public var host: String
        /// Port to bind; 0 picks a free one (see ``KratosGRPCServer/bind()``).
        public var port: Int
        /// The deadline for each handler (a shorter `grpc-timeout` from the client wins); past it
        /// the call ends with DEADLINE_EXCEEDED and the handler is cancelled. `.zero`: none.
        public var timeout: Duration
        /// The largest request message accepted.
        public var maxRequestSize: Int
        /// Serve `grpc.health.v1.Health`: SERVING once started, NOT_SERVING when stopping.
        public var health: Bool
        /// Serve gRPC reflection (v1 and v1alpha) from these descriptors, listing the server's
        /// services; nil serves none. See ``ReflectionService``.
        public var reflection: Google_Protobuf_FileDescriptorSet?
        public var logger: Logger

        public init(
            host: String = "0.0.0.0",
            port: Int = 0,
            timeout: Duration = .seconds(1),
            maxRequestSize: Int = 4 << 20,
            health: Bool = true,
            reflection: Google_Protobuf_FileDescriptorSet? = nil,
            logger: Logger = Logger(label: "kratos.grpc")
        ) {
            self.host = host
            self.port = port
            self.timeout = timeout
            self.maxRequestSize = maxRequestSize
            self.health = health
            self.reflection = reflection
            self.logger = logger
        }

        /// Parses `host:port` (`:9000` binds every interface).
        public init(address: String, timeout: Duration = .seconds(1)) {
            let (host, port) = listenAddress(address)
            self.init(host: host, port: port, timeout: timeout)
        }
    }

    public let configuration: Configuration
    public let kind = TransportKind.grpc
    /// The health service's statuses; set a service's status to report it separately.
    public let health = HealthStatus()
    private let state: Mutex<State>

    /// A method as registered: `register` adds it to a router with the middleware chain made
    /// for its operation.
    private struct PendingMethod: Sendable {
        let operation: String
        let inner: Handler
        let register: @Sendable (inout RPCRouter<HTTP2ServerTransport.Posix>, _ chain: @escaping Handler) -> Void
    }

    private struct State {
        var middleware: MiddlewareSet
        var methods: [PendingMethod] = []
        var services: [any RegistrableRPCService] = []
        var server: GRPCServer<HTTP2ServerTransport.Posix>?
        var serving: Task<Void, any Error>?
        var binding: Task<String, any Error>?
        var endpoint = ""
        var app: AppInfo?
    }

    /// - Parameter middleware: applied to every method, the first outermost.
    public init(_ configuration: Configuration = Configuration(), middleware: [any Middleware] = [Recovery()]) {
        self.configuration = configuration
        state = Mutex(State(middleware: MiddlewareSet(middleware)))
    }

    // MARK: Registration

    /// Adds middleware for every method.
    public func use(_ middleware: any Middleware...) {
        state.withLock { $0.middleware.all.append(contentsOf: middleware) }
    }

    /// Adds middleware for the operations `matchers` select (`"/*"`, `"/pkg.Svc/*"`, exact).
    public func use(_ matchers: [OperationMatcher], _ middleware: any Middleware...) {
        state.withLock { $0.middleware.selected.append(SelectedMiddleware(matchers, middleware)) }
    }

    /// Adds a plain grpc-swift service (no framework middleware runs around it).
    public func register(_ service: any RegistrableRPCService) {
        state.withLock { $0.services.append(service) }
    }

    /// Registers a unary method: middleware sees the request message and the reply message.
    /// - Parameter operation: `/package.Service/Method`.
    public func unary<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String,
        _ handler: @escaping @Sendable (Input, RequestContext) async throws -> Output
    ) throws {
        let descriptor = try methodDescriptor(operation)
        add(operation, inner: { request, context in try await handler(request as! Input, context) }) { [self] router, chain in
            router.registerHandler(forMethod: descriptor, deserializer: ProtobufDeserializer<Input>(),
                                   serializer: ProtobufSerializer<Output>()) { request, server in
                let context = self.context(operation, request.metadata, server)
                do {
                    let message = try await ServerRequest(stream: request).message
                    let reply = try await RequestContext.$current.withValue(context) {
                        try await withDeadline(context.deadline) { try await chain(message, context) }
                    }
                    guard let output = reply as? Output else {
                        throw KratosError.internalServer("BAD_REPLY", "\(operation) answered \(type(of: reply)), not \(Output.self)")
                    }
                    return StreamingServerResponse(single: ServerResponse(message: output, metadata: GRPCCore.Metadata(replyHeadersOf: context)))
                } catch {
                    return StreamingServerResponse(error: self.rpcError(error, context))
                }
            }
        }
    }

    /// Registers a server-streaming method: middleware sees a ``StreamingRequest`` holding the
    /// request message; the handler writes replies to the writer.
    public func serverStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String,
        _ handler: @escaping @Sendable (Input, MessageWriter<Output>, RequestContext) async throws -> Void
    ) throws {
        try streaming(operation, Input.self, Output.self) { messages, writer, context in
            var iterator = messages.makeAsyncIterator()
            guard let message = try await iterator.next() else {
                throw KratosError.badRequest("CODEC", "\(operation) expects one request message")
            }
            try await handler(message, writer, context)
            return nil
        }
    }

    /// Registers a client-streaming method: middleware sees a ``StreamingRequest`` and a
    /// ``StreamingReply`` holding the reply message.
    public func clientStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String,
        _ handler: @escaping @Sendable (MessageStream<Input>, RequestContext) async throws -> Output
    ) throws {
        try streaming(operation, Input.self, Output.self) { messages, writer, context in
            let reply = try await handler(messages, context)
            try await writer.write(reply)
            return reply
        }
    }

    /// Registers a bidirectional-streaming method.
    public func bidirectionalStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String,
        _ handler: @escaping @Sendable (MessageStream<Input>, MessageWriter<Output>, RequestContext) async throws -> Void
    ) throws {
        try streaming(operation, Input.self, Output.self) { messages, writer, context in
            try await handler(messages, writer, context)
            return nil
        }
    }

    /// The shared shape of the three streaming kinds: the middleware runs once around the whole
    /// exchange; reply headers travel in the trailers.
    private func streaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _: Input.Type, _: Output.Type,
        _ body: @escaping @Sendable (MessageStream<Input>, MessageWriter<Output>, RequestContext) async throws -> Output?
    ) throws {
        let descriptor = try methodDescriptor(operation)
        let inner: Handler = { request, context in
            let exchange = (request as! StreamingRequest).message as! Exchange<Input, Output>
            return StreamingReply(message: try await body(exchange.messages, exchange.writer, context))
        }
        add(operation, inner: inner) { [self] router, chain in
            router.registerHandler(forMethod: descriptor, deserializer: ProtobufDeserializer<Input>(),
                                   serializer: ProtobufSerializer<Output>()) { request, server in
                let context = self.context(operation, request.metadata, server)
                return StreamingServerResponse(metadata: [:]) { writer in
                    let exchange = Exchange(messages: MessageStream(request.messages),
                                            writer: MessageWriter { try await writer.write($0) })
                    do {
                        _ = try await RequestContext.$current.withValue(context) {
                            try await withDeadline(context.deadline) { try await chain(StreamingRequest(message: exchange), context) }
                        }
                    } catch {
                        throw self.rpcError(error, context)
                    }
                    return GRPCCore.Metadata(replyHeadersOf: context)
                }
            }
        }
    }

    private func add(_ operation: String, inner: @escaping Handler,
                     register: @escaping @Sendable (inout RPCRouter<HTTP2ServerTransport.Posix>, @escaping Handler) -> Void) {
        state.withLock { $0.methods.append(PendingMethod(operation: operation, inner: inner, register: register)) }
    }

    /// The request's context: kind, endpoint, operation, headers, `x-md-` metadata, deadline.
    private func context(_ operation: String, _ metadata: GRPCCore.Metadata, _ server: ServerContext) -> RequestContext {
        // Only x-md- keys are metadata; gRPC metadata keys are already lower-case.
        let carried = metadata.lazy.filter { $0.key.hasPrefix(KratosMetadata.prefix) }.map { (name: $0.key, value: $0.value.encoded()) }
        let (endpoint, app) = state.withLock { ($0.endpoint, $0.app) }
        return RequestContext(kind: .grpc, endpoint: endpoint, operation: operation, requestHeaders: GRPCHeaders(metadata),
                              metadata: KratosMetadata.extract(from: carried),
                              deadline: configuration.timeout == .zero ? nil : .now + configuration.timeout,
                              logger: configuration.logger, app: app)
    }

    /// A thrown error as the status the client sees; a plain error's text stays in the log.
    private func rpcError(_ error: any Error, _ context: RequestContext) -> RPCError {
        if let error = error as? RPCError { return error }
        let kratos = KratosError(error)
        if kratos.code >= 500, !(error is KratosError) {
            context.logger.error("request failed", metadata: ["operation": "\(context.operation)", "error": "\(String(reflecting: error))"])
        }
        return kratos.rpcError
    }

    // MARK: Lifecycle

    /// Starts listening (once) and returns the endpoint, e.g. `grpc://127.0.0.1:43125`.
    public func bind() async throws -> String {
        let task = state.withLock { state in
            if let task = state.binding { return task }
            let task = Task { try await self.startListening() }
            state.binding = task
            return task
        }
        return try await task.value
    }

    private func startListening() async throws -> String {
        let (methods, middleware, services) = state.withLock { ($0.methods, $0.middleware, $0.services) }
        var router = RPCRouter<HTTP2ServerTransport.Posix>()
        for method in methods {
            let chain = middleware.chain(for: method.operation, around: method.inner)
            method.register(&router, chain)
        }
        for service in services { service.registerMethods(with: &router) }
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
        let host = advertisedHost(forBound: configuration.host)
        let endpoint = "grpc://\(host):\(port)"
        state.withLock { $0.endpoint = endpoint }
        configuration.logger.info("gRPC server listening", metadata: ["endpoint": "\(endpoint)"])
        return endpoint
    }

    /// Serves until graceful shutdown: health turns NOT_SERVING, new calls are refused, calls in
    /// flight finish.
    public func run() async throws {
        _ = try await bind()
        let (server, serving) = state.withLock { state in
            state.app = AppInfo.current
            return (state.server!, state.serving!)
        }
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
        health.stop()
        server?.beginGracefulShutdown()
        _ = try? await serving?.value
    }

}

/// A streaming call's inbound messages and reply writer, carried to the handler inside the
/// middleware's ``StreamingRequest``.
private struct Exchange<Input: Sendable, Output: Sendable>: Sendable {
    let messages: MessageStream<Input>
    let writer: MessageWriter<Output>
}
