/// Rejects a request whose message breaks its validation rules before the handler sees it, as
/// go-kratos's `validate.ProtoValidate()` does: a request that is ``Validatable`` (code from
/// protoc-gen-kratos-validate) with violations is answered 400 `VALIDATOR` (over gRPC
/// INVALID_ARGUMENT with `google.rpc.ErrorInfo`), the message naming the first violation and the
/// metadata key `violations` holding them all (see ``KratosError/validator(_:)``). Requests
/// without rules pass through.
///
/// The same on both servers; put it after recovery, tracing, metrics and logging so rejected
/// requests are counted and logged:
///
/// ```swift
/// let middleware: [any Middleware] = [Recovery(), TracingMiddleware(), LoggingMiddleware(), ValidateMiddleware()]
/// ```
///
/// A streaming RPC's messages arrive after the middleware ran: validate them in the handler with
/// `try message.validate()`.
public struct ValidateMiddleware: Middleware {
    public init() {}

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        if let message = request as? any Validatable {
            let violations = message.validationViolations()
            if !violations.isEmpty { throw KratosError.validator(violations) }
        }
        return try await next(request, context)
    }
}
