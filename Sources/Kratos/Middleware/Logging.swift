import Logging

/// Logs each request once it is answered, with go-kratos's keys: `kind`, `component`,
/// `operation`, `args`, `code`, `reason`, `stack` and `latency` (seconds).
///
/// Requests that fail are logged at `error`, the others at `info`.
public struct LoggingMiddleware: Middleware {
    /// `server` or `client`.
    public var component: String
    /// Whether to log the request's description as `args`.
    public var logArguments: Bool

    public init(component: String = "server", logArguments: Bool = true) {
        self.component = component
        self.logArguments = logArguments
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        let start = ContinuousClock.now
        var metadata: Logger.Metadata = [
            "kind": "\(context.kind.rawValue)",
            "component": "\(component)",
            "operation": "\(context.operation)",
        ]
        if logArguments {
            metadata["args"] = "\(String(describing: request))"
        }
        func latency() -> Logger.MetadataValue {
            let elapsed = ContinuousClock.now - start
            let (seconds, attoseconds) = elapsed.components
            return "\(Double(seconds) + Double(attoseconds) / 1e18)"
        }
        do {
            let reply = try await next(request, context)
            metadata["code"] = "0"
            metadata["reason"] = ""
            metadata["latency"] = latency()
            context.logger.info("", metadata: metadata)
            return reply
        } catch {
            let kratos = KratosError(error)
            metadata["code"] = "\(kratos.code)"
            metadata["reason"] = "\(kratos.reason)"
            metadata["stack"] = "\(String(reflecting: kratos.cause ?? error))"
            metadata["latency"] = latency()
            context.logger.error("", metadata: metadata)
            throw error
        }
    }
}
