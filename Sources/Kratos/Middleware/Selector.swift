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
    /// The middleware that apply to `operation`, in registration order.
    public func middleware(for operation: String) -> [any Middleware] {
        filter { $0.applies(to: operation) }.flatMap(\.middleware)
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
