import Kratos
import NIOHTTP1
import SwiftProtobuf

/// A route as registered, kept until the server binds and its middleware is final.
public struct PendingRoute: Sendable {
    let method: HTTPMethod
    let template: PathTemplate
    let operation: String
    /// The route's handler around its middleware chain, made once when the server binds.
    let respond: @Sendable (_ chain: @escaping Middleware.Handler) -> HTTPHandler
    /// The handler inside the middleware.
    let inner: Middleware.Handler
    /// Whether the handler runs without the server's middleware (``KratosHTTPServer/handle(_:_:_:)``).
    var bypassesMiddleware = false
    /// Whether the route streams its reply.
    var streams = false
    /// Whether the route upgrades to a WebSocket.
    var upgrades = false
    /// A body limit above the server's `maxBodySize` (routes taking `google.api.HttpBody`).
    var maxBodySize: Int?

    /// The route for the router, with the middleware for its operation around the handler.
    func resolved(with middleware: MiddlewareSet) -> Router.Route {
        let chain = bypassesMiddleware ? inner : middleware.chain(for: operation, around: inner)
        return Router.Route(method: method, template: template, operation: operation, streams: streams, upgrades: upgrades,
                            maxBodySize: maxBodySize, handler: respond(chain))
    }
}

extension KratosHTTPServer {
    /// Registers a route whose handler works on the raw request and reply. The handler runs
    /// inside the middleware with the ``HTTPRequest`` as the request and ``HTTPResponse`` as the reply.
    /// - Parameter operation: the operation middleware selectors see; default the path template.
    public func route(_ method: HTTPMethod, _ path: String, operation: String? = nil,
                      _ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) throws {
        let template = try PathTemplate(configuration.pathPrefix + path)
        try core.register(PendingRoute(method: method, template: template, operation: operation ?? template.description) { chain in
            { request in
                let reply = try await chain(request, request.context)
                return try (reply as? HTTPResponse) ?? Reply.encode(reply, for: request)
            }
        } inner: { request, context in
            try await handler(context.typed(request, as: HTTPRequest.self))
        })
    }

    /// Registers a typed route, as generated code does: binds the request into `Input` (body by
    /// `body`, then query, then path variables, which win), runs the middleware and `handler`, and
    /// encodes the reply (or the part `responseBody` picks) with the codec `Accept` asks for.
    public func route<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod,
        _ path: String,
        operation: String,
        body: BodyBinding<Input> = .none,
        responseBody: ResponseBody<Output>? = nil,
        _ handler: @escaping @Sendable (Input, RequestContext) async throws -> Output
    ) throws {
        let template = try PathTemplate(configuration.pathPrefix + path)
        let typed = TypedRoute<Input, Output>(body: body, variables: .init(keys: template.variables), responseBody: responseBody)
        var route = PendingRoute(method: method, template: template, operation: operation) { chain in
            { request in
                try await typed.respond(to: request, through: chain)
            }
        } inner: { input, context in
            try await handler(context.typed(input, as: Input.self), context)
        }
        if case .httpBody = body { route.maxBodySize = configuration.maxHTTPBodySize }
        try core.register(route)
    }

    /// Registers a raw handler outside the server's middleware, as go-kratos's `Server.Handle`
    /// mounts a plain `http.Handler` (a metrics or health endpoint that should not be counted,
    /// traced or logged as a request); filters still apply.
    public func handle(_ method: HTTPMethod, _ path: String,
                       _ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) throws {
        let template = try PathTemplate(configuration.pathPrefix + path)
        var route = PendingRoute(method: method, template: template, operation: template.description) { chain in
            { request in
                let reply = try await chain(request, request.context)
                return try (reply as? HTTPResponse) ?? Reply.encode(reply, for: request)
            }
        } inner: { request, context in
            try await handler(context.typed(request, as: HTTPRequest.self))
        }
        route.bypassesMiddleware = true
        try core.register(route)
    }

    /// A group of routes under a common path prefix.
    public func group(_ prefix: String) -> RouteGroup {
        RouteGroup(server: self, prefix: prefix)
    }
}

/// Routes registered under a common prefix.
public struct RouteGroup: Sendable {
    let server: KratosHTTPServer
    let prefix: String

    public func route(_ method: HTTPMethod, _ path: String, operation: String? = nil,
                      _ handler: @escaping @Sendable (HTTPRequest) async throws -> HTTPResponse) throws {
        try server.route(method, prefix + path, operation: operation, handler)
    }

    public func route<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod, _ path: String, operation: String, body: BodyBinding<Input> = .none,
        responseBody: ResponseBody<Output>? = nil,
        _ handler: @escaping @Sendable (Input, RequestContext) async throws -> Output
    ) throws {
        try server.route(method, prefix + path, operation: operation, body: body, responseBody: responseBody, handler)
    }

    public func group(_ path: String) -> RouteGroup {
        RouteGroup(server: server, prefix: prefix + path)
    }
}
