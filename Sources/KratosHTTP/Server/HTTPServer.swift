import Kratos
import Logging
import NIOCore
import NIOExtras
import NIOHTTP1
import NIOPosix
import NIOSSL
import ServiceLifecycle
import Synchronization

/// An HTTP/1.1 server directly on SwiftNIO: routes by method and path template, runs the
/// transport-agnostic middleware around each route, and answers errors in the Kratos error body.
///
/// Each request's handler starts on the connection's event loop and stays there across
/// suspensions, so a request costs no thread hops.
///
/// ```swift
/// let server = HTTPServer(.init(address: "0.0.0.0:8000"), middleware: [Recovery()])
/// try server.route(.GET, "/helloworld/{name}", operation: "/helloworld.v1.Greeter/SayHello") {
///     (request: HelloRequest, context) in HelloReply.with { $0.message = "Hello \(request.name)" }
/// }
/// try await KratosApp(.init(name: "helloworld"), servers: [server]).run()
/// ```
public final class HTTPServer: TransportServer, Sendable {
    public struct Configuration: Sendable {
        /// Host to bind, e.g. `0.0.0.0` or `127.0.0.1`.
        public var host: String
        /// Port to bind; 0 picks a free one (see ``HTTPServer/bind()``).
        public var port: Int
        /// The deadline for each handler; past it the server answers 504 and cancels the handler.
        public var timeout: Duration
        /// How long an idle keep-alive connection stays open.
        public var idleTimeout: Duration
        /// How long a client may take to send a whole request once it has started; past it the
        /// server answers 408 and closes the connection.
        public var readTimeout: Duration
        /// The largest request body accepted; larger ones are answered 413.
        public var maxBodySize: Int
        /// A prefix every route is registered under, e.g. `/api`.
        public var pathPrefix: String
        public var codecs: CodecRegistry
        /// TLS for `https`; nil serves plain HTTP.
        public var tls: TLSConfiguration?
        /// The event loops serving connections; nil uses NIO's shared group.
        public var eventLoopGroup: (any EventLoopGroup)?
        public var logger: Logger

        public init(
            host: String = "0.0.0.0",
            port: Int = 0,
            timeout: Duration = .seconds(1),
            idleTimeout: Duration = .seconds(60),
            readTimeout: Duration = .seconds(30),
            maxBodySize: Int = 4 << 20,
            pathPrefix: String = "",
            codecs: CodecRegistry = .standard,
            tls: TLSConfiguration? = nil,
            eventLoopGroup: (any EventLoopGroup)? = nil,
            logger: Logger = Logger(label: "kratos.http")
        ) {
            self.host = host
            self.port = port
            self.timeout = timeout
            self.idleTimeout = idleTimeout
            self.readTimeout = readTimeout
            self.maxBodySize = maxBodySize
            self.pathPrefix = pathPrefix
            self.codecs = codecs
            self.tls = tls
            self.eventLoopGroup = eventLoopGroup
            self.logger = logger
        }

        /// Parses `host:port` (`:8000` binds every interface).
        public init(address: String, timeout: Duration = .seconds(1)) {
            let (host, port) = listenAddress(address)
            self.init(host: host, port: port, timeout: timeout)
        }
    }

    public let configuration: Configuration
    public let kind = TransportKind.http
    private let state: Mutex<State>

    /// A route as registered: `make` turns the route's middleware chain around `inner` into the
    /// HTTP handler, once the middleware is final (when the server binds).
    private struct PendingRoute {
        let method: HTTPMethod
        let template: PathTemplate
        let operation: String
        let make: @Sendable (@escaping Handler) -> HTTPHandler
        let inner: Handler
    }

    private struct State {
        var middleware: MiddlewareSet
        var filters: [any HTTPFilter] = []
        var routes: [PendingRoute] = []
        var channel: (any Channel)?
        var endpoint: String?
        var quiesce: ServerQuiescingHelper?
        /// Completed once a graceful stop has closed every connection.
        var stopped: EventLoopPromise<Void>?
        var stopping = false
        var binding: Task<String, any Error>?
        var app: AppInfo?
    }

    /// - Parameter middleware: applied to every route, the first outermost.
    public init(_ configuration: Configuration = Configuration(), middleware: [any Middleware] = [Recovery()]) {
        self.configuration = configuration
        state = Mutex(State(middleware: MiddlewareSet(middleware)))
    }

    // MARK: Registration

    /// Adds middleware for every route.
    public func use(_ middleware: any Middleware...) {
        state.withLock { $0.middleware.all.append(contentsOf: middleware) }
    }

    /// Adds middleware for the operations `matchers` select (`"/*"`, `"/pkg.Svc/*"`, exact).
    public func use(_ matchers: [OperationMatcher], _ middleware: any Middleware...) {
        state.withLock { $0.middleware.selected.append(SelectedMiddleware(matchers, middleware)) }
    }

    /// Adds a filter: raw HTTP middleware around routing, also for 404 and 405 answers.
    public func filter(_ filter: any HTTPFilter) {
        state.withLock { $0.filters.append(filter) }
    }

    /// Registers a route whose handler works on the raw request and reply. The handler runs
    /// inside the middleware with the ``HTTPRequest`` as the request and ``HTTPResponse`` as the reply.
    /// - Parameter operation: the operation middleware selectors see; default the path template.
    public func route(_ method: HTTPMethod, _ path: String, operation: String? = nil,
                      _ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) throws {
        try add(method, path, operation: operation) { chain in
            { request in
                let reply = try await chain(request, request.context)
                guard let response = reply as? HTTPResponse else {
                    return try HTTPServer.encode(reply, for: request)
                }
                return response
            }
        } inner: { request, _ in try await handler(request as! HTTPRequest) }
    }

    /// Registers a typed route, as generated code does: binds the request into `Input` (body by
    /// `body`, then query, then path variables, which win), runs the middleware and `handler`, and
    /// encodes the reply (or the part `responseBody` picks) with the codec `Accept` asks for.
    public func route<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod,
        _ path: String,
        operation: String,
        body: BodyBinding<Input> = .none,
        responseBody: (@Sendable (Output) -> any SwiftProtobuf.Message)? = nil,
        _ handler: @escaping @Sendable (Input, RequestContext) async throws -> Output
    ) throws {
        let variables = MessageBinding.Prepared<Input>(keys: try PathTemplate(configuration.pathPrefix + path).variables)
        try add(method, path, operation: operation) { chain in
            { request in
                var input: Input
                switch body {
                case .none:
                    input = Input()
                    try request.bindQuery(&input)
                case .all:
                    input = try request.decodeBody(Input.self)
                case .field(let bind):
                    input = Input()
                    try bind(&input, request)
                    try request.bindQuery(&input)
                }
                if !request.pathParameters.isEmpty {
                    try variables.bind(request.pathParameters, into: &input)
                }
                let reply = try await chain(input, request.context)
                guard let output = reply as? Output else { return try HTTPServer.encode(reply, for: request) }
                if let responseBody { return try HTTPServer.encode(responseBody(output), for: request) }
                let codec = request.replyCodec
                return HTTPServer.response(try codec.encode(message: output), codec: codec, for: request)
            }
        } inner: { input, context in try await handler(input as! Input, context) }
    }

    private func add(_ method: HTTPMethod, _ path: String, operation: String?,
                     _ make: @escaping @Sendable (@escaping Handler) -> HTTPHandler,
                     inner: @escaping Handler) throws {
        let template = try PathTemplate(configuration.pathPrefix + path)
        let route = PendingRoute(method: method, template: template, operation: operation ?? template.description,
                                 make: make, inner: inner)
        try state.withLock { state in
            guard state.channel == nil else {
                throw KratosError.internalServer("ROUTE_AFTER_START", "routes must be added before the server starts")
            }
            state.routes.append(route)
        }
    }

    /// A group of routes under a common path prefix.
    public func group(_ prefix: String) -> RouteGroup {
        RouteGroup(server: self, prefix: prefix)
    }

    // MARK: Lifecycle

    /// Binds the listener (once) and returns the endpoint, e.g. `http://127.0.0.1:43125`.
    public func bind() async throws -> String {
        let task = state.withLock { state in
            if let task = state.binding { return task }
            let task = Task { try await self.bindListener() }
            state.binding = task
            return task
        }
        return try await task.value
    }

    private func bindListener() async throws -> String {
        let router = buildRouter()
        let group = configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let quiesce = ServerQuiescingHelper(group: group)
        let sslContext = try configuration.tls.map { try NIOSSLContext(configuration: $0) }
        let filters = state.withLock { $0.filters }
        let dispatcher = Dispatcher(server: self, router: router, filters: filters)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    // The connection handler frames, orders and validates replies itself (see
                    // HTTPChannelHandler): behind the decoder there is nothing else.
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try pipeline.addHandler(HTTPChannelHandler(dispatcher: dispatcher, eventLoop: channel.eventLoop,
                                                               maxBodySize: self.configuration.maxBodySize,
                                                               timeout: self.configuration.timeout,
                                                               readTimeout: self.configuration.readTimeout,
                                                               idleTimeout: self.configuration.idleTimeout))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let scheme = sslContext == nil ? "http" : "https"
        let endpoint = "\(scheme)://\(advertisedHost(forBound: channel.localAddress?.ipAddress ?? configuration.host)):\(channel.localAddress?.port ?? configuration.port)"
        state.withLock {
            $0.channel = channel
            $0.endpoint = endpoint
            $0.quiesce = quiesce
            $0.stopped = channel.eventLoop.makePromise(of: Void.self)
        }
        configuration.logger.info("HTTP server listening", metadata: ["endpoint": "\(endpoint)"])
        return endpoint
    }

    /// Serves until graceful shutdown, then stops accepting and lets requests in flight finish.
    public func run() async throws {
        _ = try await bind()
        let (channel, stopped) = state.withLock { state in
            state.app = AppInfo.current
            return (state.channel!, state.stopped!)
        }
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                self.initiateShutdown()
            }
        } onCancel: {
            channel.close(promise: nil)
        }
        if state.withLock({ $0.stopping }) {
            try? await stopped.futureResult.get()
        }
        configuration.logger.info("HTTP server stopped")
    }

    /// Stops accepting and waits until requests in flight are answered and connections closed.
    public func shutdown() async {
        guard let stopped = initiateShutdown() else { return }
        try? await stopped.futureResult.get()
    }

    /// Starts a graceful stop once; returns the promise completed when it is done.
    @discardableResult
    private func initiateShutdown() -> EventLoopPromise<Void>? {
        let (quiesce, stopped, first) = state.withLock { state in
            defer { state.stopping = true }
            return (state.quiesce, state.stopped, !state.stopping)
        }
        if first, let quiesce, let stopped {
            quiesce.initiateShutdown(promise: stopped)
        }
        return stopped
    }

    var app: AppInfo? { state.withLock { $0.app } }

    private func buildRouter() -> Router {
        let (routes, middleware) = state.withLock { ($0.routes, $0.middleware) }
        var router = Router()
        for route in routes {
            let chain = middleware.chain(for: route.operation, around: route.inner)
            router.add(.init(method: route.method, template: route.template, operation: route.operation, handler: route.make(chain)))
        }
        return router
    }

    /// `reply` encoded with the codec `Accept` asks for.
    static func encode(_ reply: any Sendable, for request: HTTPRequest) throws -> HTTPResponse {
        let codec = request.replyCodec
        return response(try codec.encode(reply), codec: codec, for: request)
    }

    /// A reply with `bytes` as the body, the codec's content type, and the context's reply headers.
    static func response(_ bytes: [UInt8], codec: any Codec, status: HTTPResponseStatus = .ok, for request: HTTPRequest) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: codec.contentType)
        request.context.forEachReplyHeader { headers.add(name: $0, value: $1) }
        return HTTPResponse(status: status, headers: headers, body: ByteBuffer(bytes: bytes))
    }
}

import SwiftProtobuf

/// Where a typed route's body goes: `body: ""` (none; the query binds instead), `body: "*"`
/// (the whole request message), or `body: "field"` (one field, then the query binds the rest).
public enum BodyBinding<Input: SwiftProtobuf.Message>: Sendable {
    case none
    case all
    /// Decodes the body into one field of the input.
    case field(@Sendable (inout Input, HTTPRequest) throws -> Void)
}

/// Raw HTTP middleware around routing (go-kratos's filters): sees every request, including
/// those answered 404 or 405.
public protocol HTTPFilter: Sendable {
    func handle(_ request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse
}

/// Routes registered under a common prefix.
public struct RouteGroup: Sendable {
    let server: HTTPServer
    let prefix: String

    public func route(_ method: HTTPMethod, _ path: String, operation: String? = nil,
                      _ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) throws {
        try server.route(method, prefix + path, operation: operation, handler)
    }

    public func route<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod, _ path: String, operation: String, body: BodyBinding<Input> = .none,
        responseBody: (@Sendable (Output) -> any SwiftProtobuf.Message)? = nil,
        _ handler: @escaping @Sendable (Input, RequestContext) async throws -> Output
    ) throws {
        try server.route(method, prefix + path, operation: operation, body: body, responseBody: responseBody, handler)
    }

    public func group(_ path: String) -> RouteGroup {
        RouteGroup(server: server, prefix: prefix + path)
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
