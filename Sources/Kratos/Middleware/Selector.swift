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

/// A middleware applied to some operations only, the rest going straight to the next handler:
/// on a server or a client, wherever middleware is accepted.
///
/// ```swift
/// // Rate limiting for everything but health checks:
/// SelectiveMiddleware(RateLimitMiddleware(), except: ["/grpc.health.v1.Health/*"])
/// // Only for HTTP requests:
/// SelectiveMiddleware(auth, when: { $0.kind == .http })
/// ```
public struct SelectiveMiddleware: Middleware {
    public let inner: any Middleware
    private let applies: @Sendable (RequestContext) -> Bool

    /// `inner` for every operation no matcher of `except` selects.
    public init(_ inner: any Middleware, except matchers: [OperationMatcher]) {
        self.inner = inner
        applies = { context in !matchers.contains { $0.matches(context.operation) } }
    }

    /// `inner` for requests `predicate` accepts.
    public init(_ inner: any Middleware, when predicate: @escaping @Sendable (RequestContext) -> Bool) {
        self.inner = inner
        applies = predicate
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        guard applies(context) else { return try await next(request, context) }
        return try await inner.handle(request, context: context, next: next)
    }
}
