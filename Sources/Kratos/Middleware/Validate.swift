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
    /// Each request type's violations, or nil for types without rules.
    private let validators = PerType<(@Sendable (any Sendable) -> [Violation])?>()

    public init() {}

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        if let validator = validators(request, make: Self.validator) {
            let violations = validator(request)
            if !violations.isEmpty { throw KratosError.validator(violations) }
        }
        return try await next(request, context)
    }

    private static func validator(for request: any Sendable) -> (@Sendable (any Sendable) -> [Violation])? {
        // A wrapper (an Optional, AnyHashable) may hold a Validatable one time and not the next:
        // kept per type only when the type itself conforms, cast per request otherwise.
        guard type(of: request) is any Validatable.Type else {
            return { ($0 as? any Validatable)?.validationViolations() ?? [] }
        }
        guard let message = request as? any Validatable else { return nil }
        func violations<Message: Validatable>(of _: Message) -> @Sendable (any Sendable) -> [Violation] {
            { withExactly($0, as: Message.self, { $0.validationViolations() }) { ($0 as? Message)?.validationViolations() ?? [] } }
        }
        return violations(of: message)
    }
}
