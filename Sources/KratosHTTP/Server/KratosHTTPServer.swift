import Kratos
import KratosNIO
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ServiceLifecycle
import Synchronization

/// An HTTP/1.1 server directly on SwiftNIO: routes by method and path template, runs the
/// transport-agnostic middleware around each route, and answers errors in the Kratos error body.
///
/// Each request's handler starts on the connection's event loop and stays there across
/// suspensions, so a request costs no thread hops. The path of a request: ``HTTPChannelHandler``
/// (socket, framing, order) → `Dispatcher` (route, context, filters) → the route's
/// ``TypedRoute`` (bind, middleware, handler, encode) → `Reply` (reply and error bodies).
///
/// ```swift
/// let server = KratosHTTPServer(.init(address: "0.0.0.0:8000"), middleware: [Recovery()])
/// try server.route(.GET, "/helloworld/{name}", operation: "/helloworld.v1.Greeter/SayHello") {
///     (request: HelloRequest, context) in HelloReply.with { $0.message = "Hello \(request.name)" }
/// }
/// try await KratosApp(.init(name: "helloworld"), servers: [server]).run()
/// ```
public final class KratosHTTPServer: TransportServer, MiddlewareServer, Sendable {
    public let configuration: Configuration
    public let kind = TransportKind.http
    /// Middleware, routes, the once-only bind and the app served.
    public let core: ServerCore<PendingRoute>
    private let state = Mutex(State())

    private struct State {
        var filters: [any HTTPFilter] = []
        var channel: (any Channel)?
        var quiesce: ConnectionQuiescer?
        /// Completed once a graceful stop has closed every connection; nil until one starts.
        var stopped: EventLoopFuture<Void>?
    }

    /// - Parameter middleware: applied to every route, the first outermost.
    public init(_ configuration: Configuration = Configuration(), middleware: [any Middleware] = [Recovery()]) {
        self.configuration = configuration
        core = ServerCore(middleware: middleware, logger: configuration.logger)
    }

    /// Adds a filter: raw HTTP middleware around routing, also for 404 and 405 answers.
    public func filter(_ filter: any HTTPFilter) {
        guard !core.warnIfBound("filter \(type(of: filter))") else { return }
        state.withLock { $0.filters.append(filter) }
    }

    // MARK: Lifecycle

    /// Binds the listener (once) and returns the endpoint, e.g. `http://127.0.0.1:43125`.
    /// Connections wait in the listen backlog until ``run()``.
    public func bind() async throws -> String {
        try await core.bind { routes, middleware in
            try await self.listen(routes: routes, middleware: middleware)
        }
    }

    /// Everything behind the socket: the router with each route's middleware, and the filters.
    private func makeDispatcher(routes: [PendingRoute], middleware: MiddlewareSet) -> Dispatcher {
        var router = Router()
        for route in routes {
            router.add(route.resolved(with: middleware))
        }
        return Dispatcher(server: self, router: router, filters: state.withLock { $0.filters })
    }

    private func listen(routes: [PendingRoute], middleware: MiddlewareSet) async throws -> String {
        let dispatcher = makeDispatcher(routes: routes, middleware: middleware)
        let group = configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton
        let quiesce = ConnectionQuiescer()
        let configuration = self.configuration
        let channel = try await ServerBootstrap.kratos(group: group, quiesce: quiesce)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try configuration.security?.secure(channel, applicationProtocol: "http/1.1")
                    // The connection handler frames, orders and validates replies itself (see
                    // HTTPChannelHandler): behind the decoder there is nothing else. The decoder
                    // forwards what it holds past a handshake only when a WebSocket upgrade
                    // removes it (HTTPChannelHandler+WebSocket).
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .forwardBytes)))
                    try pipeline.addHandler(HTTPChannelHandler(dispatcher: dispatcher, eventLoop: channel.eventLoop,
                                                               maxBodySize: configuration.maxBodySize,
                                                               timeout: configuration.timeout,
                                                               readTimeout: configuration.readTimeout,
                                                               idleTimeout: configuration.idleTimeout))
                }
            }
            .bind(host: configuration.host, port: configuration.port)
            .get()
        let host = ListenAddress.advertisedHost(forBound: channel.localAddress?.ipAddress ?? configuration.host)
        let endpoint = "\(configuration.security?.isEncrypted == true ? "https" : "http")://\(host):\(channel.localAddress?.port ?? configuration.port)"
        state.withLock {
            $0.channel = channel
            $0.quiesce = quiesce
        }
        configuration.logger.info("HTTP server listening", metadata: ["endpoint": "\(endpoint)"])
        return endpoint
    }

    /// Serves until graceful shutdown, then stops accepting and lets requests in flight finish.
    public func run() async throws {
        _ = try await bind()
        core.start()
        guard let channel = state.withLock({ $0.channel }) else { return }
        // Start accepting: connections waited in the listen backlog until the app was known. (It
        // fails only on a channel already closed by a stop, which the wait below then sees.)
        _ = try? await channel.setOption(.autoRead, value: true).get()
        await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                try? await channel.closeFuture.get()
            } onGracefulShutdown: {
                self.initiateShutdown()
            }
        } onCancel: {
            channel.close(promise: nil)
        }
        if let stopped = state.withLock({ $0.stopped }) {
            try? await stopped.get()
        }
        configuration.logger.info("HTTP server stopped")
    }

    /// Stops accepting and waits until requests in flight are answered and connections closed.
    public func shutdown() async {
        try? await initiateShutdown()?.get()
    }

    /// Starts a graceful stop once; returns what completes when it is done (nil before bind).
    @discardableResult
    private func initiateShutdown() -> EventLoopFuture<Void>? {
        let (quiesce, promise, stopped) = state.withLock { state -> (ConnectionQuiescer?, EventLoopPromise<Void>?, EventLoopFuture<Void>?) in
            if let stopped = state.stopped { return (nil, nil, stopped) }
            guard let channel = state.channel, let quiesce = state.quiesce else { return (nil, nil, nil) }
            let promise = channel.eventLoop.makePromise(of: Void.self)
            state.stopped = promise.futureResult
            return (quiesce, promise, promise.futureResult)
        }
        if let quiesce, let promise {
            quiesce.initiateShutdown(promise: promise)
        }
        return stopped
    }
}

extension KratosHTTPServer {
    /// Answers a request without a socket, through the same router, filters, middleware and
    /// handlers as the listener, within the server's timeout (504 past it). For KratosTesting.
    package func respondInProcess(_ head: HTTPRequestHead, body: ByteBuffer?) async -> HTTPResponse {
        // Built for each request, so routes and middleware added between tests count.
        let (routes, middleware) = core.registered
        let dispatcher = makeDispatcher(routes: routes, middleware: middleware)
        let (request, handler, _) = dispatcher.prepare(head, body: body, endpoint: "inprocess://\(configuration.host):\(configuration.port)",
                                                       app: core.serving.app) { nil }
        do {
            return try await Deadline.run(until: request.context.deadline) { await dispatcher.respond(request, handler) }
        } catch {
            return Reply.error(KratosError.gatewayTimeout("TIMEOUT", "request timed out after \(configuration.timeout)"), for: request)
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.saturatingNanoseconds)
    }
}
