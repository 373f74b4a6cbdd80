import Kratos

/// A gRPC status to answer with exactly: throw it from a handler when the code matters more than
/// the framework's HTTP-style one (every ``KratosError`` code maps to one gRPC code, not back).
///
/// ```swift
/// throw GRPCStatusError(.alreadyExists, "order 42 exists")
/// ```
public struct GRPCStatusError: Error, KratosErrorConvertible, Sendable, CustomStringConvertible {
    public var code: GRPCStatusCode
    public var message: String

    public init(_ code: GRPCStatusCode, _ message: String = "") {
        self.code = code
        self.message = message
    }

    /// The framework error middleware sees: the code's HTTP status, this error as its cause (so
    /// the server still answers the exact code).
    public var kratosError: KratosError {
        KratosError(code: code.httpStatus, reason: "", message: message, cause: self)
    }

    public var description: String { "gRPC status \(code) \(message)" }
}
