/// Turns any thrown error that is not a ``KratosError`` into 500 `UNKNOWN`
/// "unknown request error", logging the original with its detail. The original's text never
/// reaches the client.
public struct Recovery: Middleware {
    public init() {}

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        do {
            return try await next(request, context)
        } catch let error as KratosError {
            throw error
        } catch let error as any KratosErrorConvertible {
            throw error.kratosError
        } catch {
            context.logger.error("request failed", metadata: [
                "kind": "\(context.kind.rawValue)",
                "operation": "\(context.operation)",
                "error": "\(String(reflecting: error))",
            ])
            throw KratosError.unknown(cause: error)
        }
    }
}
