/// Wraps a ``Middleware/Handler`` with behaviour before and after it, the same for HTTP and gRPC.
///
/// ```swift
/// struct Timing: Middleware {
///     func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
///         let start = ContinuousClock.now
///         defer { context.logger.info("took \(ContinuousClock.now - start)") }
///         return try await next(request, context)
///     }
/// }
/// ```
public protocol Middleware: Sendable {
    /// Handles one request on any transport: takes the decoded request, returns the reply.
    typealias Handler = @Sendable (_ request: any Sendable, _ context: RequestContext) async throws -> any Sendable

    func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable

    /// `next` with this middleware in front of it: the handler a ``MiddlewareChain`` calls. The
    /// default calls ``handle(_:context:next:)``; being a requirement, it is made for each
    /// conforming type, so the chain's closure calls that type's `handle` directly (the compiler
    /// can then make the two one step).
    func wrapping(_ next: @escaping Handler) -> Handler
}

extension Middleware {
    public func wrapping(_ next: @escaping Handler) -> Handler {
        { request, context in try await handle(request, context: context, next: next) }
    }
}

/// A middleware from a closure.
public struct MiddlewareFunction: Middleware {
    let body: @Sendable (any Sendable, RequestContext, Handler) async throws -> any Sendable

    public init(_ body: @escaping @Sendable (_ request: any Sendable, _ context: RequestContext, _ next: Handler) async throws -> any Sendable) {
        self.body = body
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        try await body(request, context, next)
    }
}

/// Several middleware as one (go-kratos's `middleware.Chain`); the first is outermost (it sees the
/// request first and the reply last).
public struct MiddlewareChain: Middleware {
    public let middleware: [any Middleware]

    public init(_ middleware: [any Middleware]) {
        self.middleware = middleware
    }

    public init(_ middleware: any Middleware...) {
        self.middleware = middleware
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        try await withoutActuallyEscaping(next) { next in try await wrap(next)(request, context) }
    }

    /// `handler` inside every middleware of the chain, composed once.
    public func wrap(_ handler: @escaping Handler) -> Handler {
        // A loop, not `reduce`: closures passed through a generic function are kept in its most
        // general form, and every call to the result would go through conversion thunks.
        var wrapped = handler
        for middleware in middleware.reversed() { wrapped = middleware.wrapping(wrapped) }
        return wrapped
    }

    /// The chain's middleware in front of `next`, with no layer for the chain itself.
    public func wrapping(_ next: @escaping Handler) -> Handler {
        wrap(next)
    }
}
