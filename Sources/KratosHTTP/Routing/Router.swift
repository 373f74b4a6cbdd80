import Kratos
import NIOHTTP1

/// Produces the reply for a request; errors thrown become error bodies.
public typealias HTTPHandler = @Sendable (HTTPRequest) async throws -> HTTPResponse

/// Routes by method and path template. Literal paths are found by one dictionary lookup;
/// templated ones are tried in registration order.
struct Router: Sendable {
    struct Route: Sendable {
        let method: HTTPMethod
        let template: PathTemplate
        let operation: String
        /// Whether the route streams its reply (``KratosHTTPServer/serverStreaming(_:_:operation:body:_:)``).
        var streams = false
        /// Whether the route answers with a WebSocket (client and bidirectional streams).
        var upgrades = false
        /// A body limit above the server's, for routes taking `google.api.HttpBody`.
        var maxBodySize: Int?
        let handler: HTTPHandler
    }

    enum Match {
        case found(Route, [(name: String, value: String)])
        /// The path exists for other methods.
        case methodNotAllowed([HTTPMethod])
        case notFound
    }

    private var literal: [String: [Route]] = [:]
    /// Byte lengths of the literal paths: most requests for templated routes skip the lookup.
    private var literalLengths = Set<Int>()
    private var templated: [Route] = []

    mutating func add(_ route: Route) {
        if let path = route.template.literalPath {
            literal[path, default: []].append(route)
            literalLengths.insert(path.utf8.count)
        } else {
            templated.append(route)
        }
    }

    /// The route for `method` and `path`. A `HEAD` request without a `HEAD` route is served by
    /// the `GET` route (the server leaves the body out).
    func match(_ method: HTTPMethod, _ path: Substring) -> Match {
        var allowed: [HTTPMethod] = []
        var headAsGet: (Route, [(name: String, value: String)])?
        if literalLengths.contains(path.utf8.count), let routes = literal[String(path)] {
            if let route = routes.first(where: { $0.method == method }) { return .found(route, []) }
            if method == .HEAD, let route = routes.first(where: { $0.method == .GET }) { headAsGet = (route, []) }
            allowed = routes.map(\.method)
        }
        for route in templated {
            guard let captures = route.template.match(path) else { continue }
            if route.method == method { return .found(route, captures) }
            if method == .HEAD, route.method == .GET, headAsGet == nil { headAsGet = (route, captures) }
            allowed.append(route.method)
        }
        if let (route, captures) = headAsGet { return .found(route, captures) }
        return allowed.isEmpty ? .notFound : .methodNotAllowed(allowed)
    }
}
