/// Which operations a middleware applies to: go-kratos's `/*`, `/pkg.Svc/*` and exact strings,
/// typed.
public enum OperationMatcher: Sendable, Hashable, ExpressibleByStringLiteral {
    /// Every operation.
    case all
    /// Operations starting with the prefix, e.g. `/helloworld.v1.Greeter/`.
    case prefix(String)
    /// One operation, e.g. `/helloworld.v1.Greeter/SayHello`.
    case exact(String)

    /// `"/*"` → ``all``, `"/x/*"` → ``prefix(_:)`` `/x/`, anything else → ``exact(_:)``.
    public init(_ pattern: String) {
        if pattern == "/*" || pattern == "*" {
            self = .all
        } else if pattern.hasSuffix("*") {
            self = .prefix(String(pattern.dropLast()))
        } else {
            self = .exact(pattern)
        }
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public func matches(_ operation: String) -> Bool {
        switch self {
        case .all: true
        case .prefix(let prefix): operation.hasPrefix(prefix)
        case .exact(let name): operation == name
        }
    }
}

/// Middleware applied only to the operations its matchers select.
public struct SelectedMiddleware: Sendable {
    public var matchers: [OperationMatcher]
    public var middleware: [any Middleware]

    public init(_ matchers: [OperationMatcher], _ middleware: [any Middleware]) {
        self.matchers = matchers
        self.middleware = middleware
    }

    public func applies(to operation: String) -> Bool {
        matchers.contains { $0.matches(operation) }
    }
}

extension Array where Element == SelectedMiddleware {
    /// The middleware selected for `operation`, as go-kratos's server matcher picks them: the
    /// registrations naming it exactly; otherwise those with the longest prefix it starts with
    /// (`/*` being the empty prefix); otherwise none. Several registrations of the same
    /// selector all apply, in registration order.
    public func middleware(for operation: String) -> [any Middleware] {
        let exact = filter { $0.matchers.contains(.exact(operation)) }
        if !exact.isEmpty { return exact.flatMap(\.middleware) }
        var longest = -1
        var chosen: [SelectedMiddleware] = []
        for selected in self {
            let length = selected.matchers.compactMap { $0.prefixLength(matching: operation) }.max() ?? -1
            if length > longest {
                longest = length
                chosen = [selected]
            } else if length == longest, length >= 0 {
                chosen.append(selected)
            }
        }
        return chosen.flatMap(\.middleware)
    }
}

extension OperationMatcher {
    /// The length of the prefix this matcher selects `operation` by (0 for ``all``), or nil.
    func prefixLength(matching operation: String) -> Int? {
        switch self {
        case .all: 0
        case .prefix(let prefix): operation.hasPrefix(prefix) ? prefix.utf8.count : nil
        case .exact: nil
        }
    }
}

/// A server's middleware: those for every operation and those selected by operation, as the
/// transports keep them until they bind.
public struct MiddlewareSet: Sendable {
    public var all: [any Middleware]
    public var selected: [SelectedMiddleware] = []

    public init(_ all: [any Middleware]) {
        self.all = all
    }

    /// `inner` inside the middleware for every operation, then those that select `operation`;
    /// the first registered is outermost.
    public func chain(for operation: String, around inner: @escaping Middleware.Handler) -> Middleware.Handler {
        MiddlewareChain(all + selected.middleware(for: operation)).wrap(inner)
    }
}

/// Middleware that runs only for some requests, as one middleware among the others: every
/// operation but those `except` selects, only those `only` selects, or the requests a predicate
/// accepts; the rest go straight to the next handler. On servers and clients alike. It says what
/// the longest-prefix selection of ``SelectedMiddleware`` cannot, "everything but these":
///
/// ```swift
/// // JWT on every operation but SayHello and the health checks.
/// Selective(except: ["/helloworld.v1.Greeter/SayHello", "/grpc.health.v1.Health/*"], try JWTAuth(secret: key))
/// // Rate limiting for HTTP requests only.
/// Selective(when: { $0.kind == .http }, RateLimitMiddleware())
/// ```
public struct Selective: Middleware {
    let applies: @Sendable (RequestContext) -> Bool
    let wrapped: MiddlewareChain

    /// `middleware` for every operation none of `matchers` selects.
    public init(except matchers: [OperationMatcher], _ middleware: any Middleware...) {
        applies = { context in !matchers.contains { $0.matches(context.operation) } }
        wrapped = MiddlewareChain(middleware)
    }

    /// `middleware` only for the operations one of `matchers` selects.
    public init(only matchers: [OperationMatcher], _ middleware: any Middleware...) {
        applies = { context in matchers.contains { $0.matches(context.operation) } }
        wrapped = MiddlewareChain(middleware)
    }

    /// `middleware` for the requests `predicate` accepts.
    public init(when predicate: @escaping @Sendable (RequestContext) -> Bool, _ middleware: any Middleware...) {
        applies = predicate
        wrapped = MiddlewareChain(middleware)
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        guard applies(context) else { return try await next(request, context) }
        return try await wrapped.handle(request, context: context, next: next)
    }
}
