/// Decides whether a server takes a request or sheds it (go-kratos aegis's `ratelimit.Limiter`).
///
/// ``BBRLimiter`` is the default; any other (a token bucket, a fixed concurrency cap) plugs into
/// ``RateLimitMiddleware`` the same way:
///
/// ```swift
/// final class AtMostTen: Limiter {
///     let running = Atomic<Int>(0)
///     func allow() -> LimiterTicket? {
///         guard running.add(1, ordering: .relaxed).newValue <= 10 else {
///             running.subtract(1, ordering: .relaxed)
///             return nil
///         }
///         return LimiterTicket { _ in self.running.subtract(1, ordering: .relaxed) }
///     }
/// }
/// ```
public protocol Limiter: Sendable {
    /// Admits one request, returning the ticket to finish it with once handled, or nil to shed
    /// it.
    func allow() -> LimiterTicket?
}

/// An admitted request: call ``done(_:)`` exactly once when it has been handled.
public struct LimiterTicket: Sendable {
    private let finish: @Sendable (LimiterOutcome) -> Void

    public init(_ finish: @escaping @Sendable (LimiterOutcome) -> Void) {
        self.finish = finish
    }

    /// Reports the request handled, with how it ended.
    public func done(_ outcome: LimiterOutcome = LimiterOutcome()) {
        finish(outcome)
    }
}

/// How an admitted request ended (aegis's `DoneInfo`).
public struct LimiterOutcome: Sendable {
    /// The error the handler threw, nil on success.
    public var error: (any Error)?

    public init(error: (any Error)? = nil) {
        self.error = error
    }
}

extension KratosError {
    /// The reason of ``rateLimited(_:)``.
    public static let rateLimitReason = "RATELIMIT"

    /// 429 `RATELIMIT`: a request shed by the server's limiter (gRPC RESOURCE_EXHAUSTED).
    public static func rateLimited(_ message: String = "service unavailable due to rate limit exceeded") -> KratosError {
        .tooManyRequests(rateLimitReason, message)
    }
}

/// Sheds requests the ``Limiter`` refuses with 429 `RATELIMIT` (over gRPC RESOURCE_EXHAUSTED),
/// before the handler runs; admitted requests are reported back to the limiter when handled.
/// Server middleware, as go-kratos's `ratelimit.Server()`.
///
/// Put it after recovery, tracing, metrics and logging so shed requests are counted and logged.
/// To exempt operations (health checks), wrap it:
///
/// ```swift
/// let limiter = BBRLimiter()
/// server.use(Selective(except: ["/grpc.health.v1.Health/*"], RateLimitMiddleware(limiter)))
/// ```
public struct RateLimitMiddleware: Middleware {
    public let limiter: any Limiter

    public init(_ limiter: any Limiter = BBRLimiter()) {
        self.limiter = limiter
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        guard let ticket = limiter.allow() else { throw KratosError.rateLimited() }
        do {
            let reply = try await next(request, context)
            ticket.done()
            return reply
        } catch {
            ticket.done(LimiterOutcome(error: error))
            throw error
        }
    }
}
