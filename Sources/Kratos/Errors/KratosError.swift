/// The framework error: an HTTP-style `code`, a machine-readable `reason`, a human `message`,
/// string `metadata`, and the underlying `cause`.
///
/// Servers answer it as `{"code":404,"reason":"USER_NOT_FOUND","message":"user not found","metadata":{}}`
/// with the HTTP status `code`, or as the matching gRPC status with `google.rpc.ErrorInfo`.
/// Two errors are the same kind when code and reason match (``is(_:)``).
///
/// ```swift
/// throw KratosError.notFound("USER_NOT_FOUND", "user \(id) not found")
/// ```
public struct KratosError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status code, also the source of the gRPC code.
    public var code: Int
    /// A stable, machine-readable cause, e.g. `USER_NOT_FOUND`.
    public var reason: String
    /// A human-readable description.
    public var message: String
    public var metadata: [String: String]
    /// The error this one wraps; never sent to clients.
    public var cause: (any Error)?

    public init(code: Int, reason: String, message: String, metadata: [String: String] = [:], cause: (any Error)? = nil) {
        self.code = code
        self.reason = reason
        self.message = message
        self.metadata = metadata
        self.cause = cause
    }

    /// Same code and reason: the comparison go-kratos's `errors.Is` makes.
    public func `is`(_ other: KratosError) -> Bool {
        code == other.code && reason == other.reason
    }

    /// A copy with `metadata` merged in.
    public func with(metadata more: [String: String]) -> KratosError {
        var copy = self
        copy.metadata.merge(more) { $1 }
        return copy
    }

    /// A copy that wraps `cause`.
    public func with(cause: any Error) -> KratosError {
        var copy = self
        copy.cause = cause
        return copy
    }

    /// The gRPC status code for ``code``.
    public var grpcCode: GRPCStatusCode { GRPCStatusCode(httpStatus: code) }

    public var description: String {
        "error: code = \(code) reason = \(reason) message = \(message) metadata = \(metadata.sorted { $0.key < $1.key })"
            + (cause.map { " cause = \($0)" } ?? "")
    }

    /// The reason of ``unknown(_:)``, used by recovery for errors that are not `KratosError`s.
    public static let unknownReason = "UNKNOWN"

    /// `error` itself when it is (or converts to) a `KratosError`, else a 500 with an empty reason
    /// that keeps `error` only as the cause: its text never reaches a client.
    public init(_ error: any Error) {
        if let error = error as? KratosError {
            self = error
        } else if let convertible = error as? any KratosErrorConvertible {
            self = convertible.kratosError
        } else {
            self.init(code: 500, reason: "", message: "internal server error", cause: error)
        }
    }
}

/// An error that knows its `KratosError` form, so servers answer it with the right status.
public protocol KratosErrorConvertible: Error {
    var kratosError: KratosError { get }
}

extension KratosError {
    public static func badRequest(_ reason: String, _ message: String) -> KratosError { .init(code: 400, reason: reason, message: message) }
    public static func unauthorized(_ reason: String, _ message: String) -> KratosError { .init(code: 401, reason: reason, message: message) }
    public static func forbidden(_ reason: String, _ message: String) -> KratosError { .init(code: 403, reason: reason, message: message) }
    public static func notFound(_ reason: String, _ message: String) -> KratosError { .init(code: 404, reason: reason, message: message) }
    public static func conflict(_ reason: String, _ message: String) -> KratosError { .init(code: 409, reason: reason, message: message) }
    public static func tooManyRequests(_ reason: String, _ message: String) -> KratosError { .init(code: 429, reason: reason, message: message) }
    public static func clientClosed(_ reason: String, _ message: String) -> KratosError { .init(code: 499, reason: reason, message: message) }
    public static func internalServer(_ reason: String, _ message: String) -> KratosError { .init(code: 500, reason: reason, message: message) }
    public static func serviceUnavailable(_ reason: String, _ message: String) -> KratosError { .init(code: 503, reason: reason, message: message) }
    public static func gatewayTimeout(_ reason: String, _ message: String) -> KratosError { .init(code: 504, reason: reason, message: message) }

    /// 500 `UNKNOWN` "unknown request error": what recovery answers for a thrown plain error.
    public static func unknown(cause: (any Error)? = nil) -> KratosError {
        .init(code: 500, reason: unknownReason, message: "unknown request error", cause: cause)
    }

    /// 400 `CODEC`: a body or query that cannot be decoded.
    public static func codec(_ message: String, cause: (any Error)? = nil) -> KratosError {
        .init(code: 400, reason: "CODEC", message: message, cause: cause)
    }
}

extension Error {
    /// Whether this error is a `KratosError` (or converts to one) with the code and reason of `other`.
    public func `is`(_ other: KratosError) -> Bool {
        guard self is KratosError || self is any KratosErrorConvertible else { return false }
        return KratosError(self).is(other)
    }
}

extension KratosError {
    /// The error body as JSON, members in go-kratos's order:
    /// `{"code":404,"reason":"USER_NOT_FOUND","message":"user not found","metadata":{}}`.
    public func jsonBody() -> [UInt8] {
        let metadata = self.metadata.sorted { $0.key < $1.key }
            .map { JSONString.quoted($0.key) + ":" + JSONString.quoted($0.value) }
            .joined(separator: ",")
        let text = "{\"code\":\(code),\"reason\":\(JSONString.quoted(reason)),\"message\":\(JSONString.quoted(message)),\"metadata\":{\(metadata)}}"
        return Array(text.utf8)
    }
}

extension KratosError {
    /// The error a non-2xx reply carries: its error body read with `codec` (or as JSON), else
    /// the status with the start of the body as the message.
    public init(status: Int, errorBody bytes: [UInt8], codec: any Codec = JSONCodec()) {
        struct Body: Decodable {
            var code: Int?
            var reason: String?
            var message: String?
            var metadata: [String: String]?
        }
        if let body = (try? codec.decode(Body.self, from: bytes)) ?? (try? JSONCodec().decode(Body.self, from: bytes)) {
            self.init(code: body.code ?? status, reason: body.reason ?? "", message: body.message ?? "", metadata: body.metadata ?? [:])
        } else {
            self.init(code: status, reason: "", message: String(decoding: bytes.prefix(512), as: UTF8.self))
        }
    }
}
