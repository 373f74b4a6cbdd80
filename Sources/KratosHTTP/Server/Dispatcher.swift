import Kratos
import Logging
import NIOCore
import NIOHTTP1

/// Turns a complete request into a reply: routes it, builds its context, runs filters and the
/// route's handler, and answers every error in the Kratos error body. Never throws. A class: each
/// request's task holds it, and a reference is one retain where a copy of its fields was several.
final class Dispatcher: Sendable {
    let server: KratosHTTPServer
    let router: Router
    /// The handler inside the server's filters; nil without filters, when the handler is called directly.
    let filtered: (@Sendable (HTTPRequest, @escaping HTTPHandler) async throws -> HTTPResponse)?
    // Read once from the configuration, which is too large to copy per request.
    let timeout: Duration
    let logger: Logger
    let codecs: CodecRegistry

    init(server: KratosHTTPServer, router: Router, filters: [any HTTPFilter]) {
        self.server = server
        self.router = router
        timeout = server.configuration.timeout
        logger = server.configuration.logger
        codecs = server.configuration.codecs
        var composed: @Sendable (HTTPRequest, @escaping HTTPHandler) async throws -> HTTPResponse = { request, handler in
            try await handler(request)
        }
        for filter in filters.reversed() {
            let next = composed
            composed = { request, handler in
                try await filter.handle(request, next: { request in try await next(request, handler) })
            }
        }
        filtered = filters.isEmpty ? nil : composed
    }

    /// The request as handlers see it, the handler that answers it, and whether it streams its
    /// reply: then the request has no deadline and carries the stream `openStream` makes (nil
    /// where replies are not streamed, in process), or, for a WebSocket route, the upgrade
    /// `openWebSocket` makes.
    func prepare(_ head: HTTPRequestHead, body: ByteBuffer?, endpoint: String, app: AppInfo?,
                 openStream: () -> ResponseStream?,
                 openWebSocket: () -> WebSocketUpgrade? = { nil }) -> (HTTPRequest, HTTPHandler, streams: Bool) {
        let path = HTTPRequest.path(of: head.uri)
        let operation: String
        let handler: HTTPHandler
        var captures: [(name: String, value: String)] = []
        var template: String?
        var streams = false
        var upgrades = false
        switch router.match(head.method, path) {
        case .found(let route, let found):
            operation = route.operation
            handler = route.handler
            captures = found
            template = route.template.description
            streams = route.streams
            upgrades = route.upgrades
        case .methodNotAllowed(let allowed):
            operation = String(path)
            handler = { request in
                var response = Reply.error(
                    KratosError(code: 405, reason: "METHOD_NOT_ALLOWED", message: "method \(request.method.rawValue) is not allowed for \(request.path)"),
                    for: request)
                response.headers.replaceOrAdd(name: "allow", value: allowed.map(\.rawValue).joined(separator: ", "))
                return response
            }
        case .notFound:
            operation = String(path)
            handler = { request in
                Reply.error(KratosError(code: 404, reason: "NOT_FOUND", message: "no route for \(request.method.rawValue) \(request.path)"),
                                   for: request)
            }
        }
        let received = ContinuousClock.now
        let context = RequestContext(
            kind: .http,
            endpoint: endpoint,
            operation: operation,
            requestHeaders: head.headers,
            metadata: Metadata.extract(from: head.headers),
            deadline: streams ? nil : received + timeout,
            logger: logger,
            app: app,
            method: head.method.rawValue,
            path: String(path),
            route: template,
            received: received
        )
        let request = HTTPRequest(method: head.method, uri: head.uri, path: path, headers: head.headers, body: body,
                                  pathParameters: captures, context: context, codecs: codecs,
                                  responseStream: streams && !upgrades ? openStream() : nil,
                                  webSocket: upgrades ? openWebSocket() : nil)
        return (request, handler, streams)
    }

    /// The body limit of the route `head` asks for, when it allows more than the server's
    /// `maxBodySize` (routes taking `google.api.HttpBody`); 0 otherwise.
    func bodyLimit(for head: HTTPRequestHead) -> Int {
        guard case .found(let route, _) = router.match(head.method, HTTPRequest.path(of: head.uri)) else { return 0 }
        return route.maxBodySize ?? 0
    }

    /// Runs filters and `handler` with the request as the task's current context.
    func respond(_ request: HTTPRequest, _ handler: @escaping HTTPHandler) async -> HTTPResponse {
        do {
            return try await RequestContext.$current.withValue(request.context) {
                if let filtered { try await filtered(request, handler) } else { try await handler(request) }
            }
        } catch {
            return Reply.error(error, for: request)
        }
    }
}
