import Synchronization

/// Decides whether a client call may go out, learning from how earlier calls ended (go-kratos
/// aegis's `circuitbreaker.CircuitBreaker`). ``SREBreaker`` is the default; any other plugs into
/// ``CircuitBreakerMiddleware`` the same way.
public protocol Breaker: Sendable {
    /// Returns when the call may go out; throws (``KratosError/circuitBreakerOpen(_:)``) when it
    /// must be rejected without calling.
    func allow() throws
    /// The call went out and the dependency answered.
    func markSuccess()
    /// The call failed as an unhealthy dependency fails, or was rejected.
    func markFailed()
}

extension KratosError {
    /// The reason of ``circuitBreakerOpen(_:)``.
    public static let circuitBreakerReason = "CIRCUITBREAKER"

    /// 503 `CIRCUITBREAKER`: a call the client's breaker rejected without sending it.
    public static func circuitBreakerOpen(_ message: String = "request failed due to circuit breaker triggered") -> KratosError {
        .serviceUnavailable(circuitBreakerReason, message)
    }
}

/// Client middleware that guards each operation with a breaker of its own (go-kratos's
/// `circuitbreaker.Client()`): a call the breaker rejects fails at once with 503
/// `CIRCUITBREAKER` and is not sent. Breakers are made on an operation's first call by
/// `makeBreaker` (an ``SREBreaker`` unless given).
///
/// A call counts as failed when it ends with a ``KratosError`` of code 500, 503 or 504 (the
/// HTTP and gRPC clients report a dependency they cannot reach as 503 and a timeout as 504; gRPC
/// INTERNAL, UNAVAILABLE and DEADLINE_EXCEEDED arrive as 500, 503 and 504) or with any error
/// that is not a framework error; a rejected call counts as failed too, as in go-kratos and the
/// SRE book. Every other ending, errors such as 404 included, is a success; a cancelled call
/// (`CancellationError`, 499) counts as neither.
///
/// ```swift
/// let client = KratosHTTPClient(.init(endpoint: "http://orders:8000"), middleware: [CircuitBreakerMiddleware()])
/// ```
public final class CircuitBreakerMiddleware: Middleware {
    private let makeBreaker: @Sendable (_ operation: String) -> any Breaker
    private let breakers = Mutex<[String: any Breaker]>([:])

    /// - Parameter makeBreaker: the breaker for an operation, called once per operation.
    public init(makeBreaker: @escaping @Sendable (_ operation: String) -> any Breaker = { _ in SREBreaker() }) {
        self.makeBreaker = makeBreaker
    }

    /// Every operation with a breaker made from `configuration`.
    public convenience init(_ configuration: SREBreaker.Configuration) {
        self.init { _ in SREBreaker(configuration) }
    }

    /// The breaker of `operation`, made on first use.
    public func breaker(for operation: String) -> any Breaker {
        breakers.withLock { breakers in
            if let breaker = breakers[operation] { return breaker }
            let breaker = makeBreaker(operation)
            breakers[operation] = breaker
            return breaker
        }
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        let breaker = breaker(for: context.operation)
        do {
            try breaker.allow()
        } catch {
            breaker.markFailed()
            throw (error as? KratosError) ?? KratosError.circuitBreakerOpen().with(cause: error)
        }
        do {
            let reply = try await next(request, context)
            breaker.markSuccess()
            return reply
        } catch {
            switch Self.verdict(of: error) {
            case .failure: breaker.markFailed()
            case .success: breaker.markSuccess()
            case .ignored: break
            }
            throw error
        }
    }

    enum Verdict { case success, failure, ignored }

    /// Whether `error` says the dependency is unhealthy.
    static func verdict(of error: any Error) -> Verdict {
        if error is CancellationError { return .ignored }
        guard error is KratosError || error is any KratosErrorConvertible else { return .failure }
        let kratos = KratosError(error)
        if kratos.code == 499 { return .ignored }
        return [500, 503, 504].contains(kratos.code) ? .failure : .success
    }
}
