import Logging
import SwiftProtobuf

/// Logs each request once it is answered, with go-kratos's keys: `kind`, `component`,
/// `operation`, `args`, `code`, `reason`, `stack` and `latency` (seconds), one line each, fit for
/// a log collector:
///
/// - the message says what happened (`server request`, `server request failed`);
/// - `args` is the request on one line: compact protojson for messages, else its description;
///   a request that conforms to ``Redacter`` writes its own redacted form instead;
/// - `code` is `200` on success (as ``MetricsMiddleware`` counts it), the error's code otherwise;
/// - `latency` is the seconds since the request arrived (``RequestContext/received``), to the
///   nanosecond: `0.000170196`.
///
/// Requests that fail are logged at `error`, the others at `info`.
public struct LoggingMiddleware: Middleware {
    /// `server` or `client`.
    public var component: String
    /// Whether to log the request as `args`.
    public var logArguments: Bool

    /// How each request type is written as `args`.
    private let writers = PerType<@Sendable (any Sendable) -> String>()

    public init(component: String = "server", logArguments: Bool = true) {
        self.component = component
        self.logArguments = logArguments
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        let arguments = logArguments ? writers(request, make: Self.argumentsWriter)(request) : nil
        // The record's fields in key order, as the handler writes them.
        func fields(code: Int, reason: String, stack: String?) -> [(key: String, value: String)] {
            var fields: [(key: String, value: String)] = []
            fields.reserveCapacity(8)
            if let arguments { fields.append(("args", arguments)) }
            fields.append(("code", code == 200 ? "200" : String(code)))
            fields.append(("component", component))
            fields.append(("kind", context.kind.rawValue))
            fields.append(("latency", Self.seconds(ContinuousClock.now - context.received)))
            fields.append(("operation", context.operation))
            fields.append(("reason", reason))
            if let stack { fields.append(("stack", stack)) }
            return fields
        }
        do {
            let reply = try await next(request, context)
            context.logger.log(.info, component == "server" ? "server request" : "\(component) request", sorted: fields(code: 200, reason: "", stack: nil))
            return reply
        } catch {
            let kratos = KratosError(error)
            context.logger.log(.error, "\(component) request failed",
                               sorted: fields(code: kratos.code, reason: kratos.reason, stack: String(reflecting: kratos.cause ?? error)))
            throw error
        }
    }

    /// `duration` as decimal seconds with nine places (`0.000170196`), written from its integer
    /// parts (a `Double`'s shortest text costs several times as much, and turns to `1.2e-05`
    /// below a tenth of a millisecond).
    static func seconds(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(unsafeUninitializedCapacity: 32) { buffer in
            var text = ByteWriter(UnsafeMutableRawBufferPointer(buffer))
            if seconds < 0 || attoseconds < 0 { text.append(UInt8(ascii: "-")) }
            text.append(decimal: UInt(seconds.magnitude))
            text.append(UInt8(ascii: "."))
            text.append(decimal: Int(attoseconds.magnitude / 1_000_000_000), width: 9)
            return text.count
        }
    }

    /// The request as `args`: redacted if it says how, protojson on one line for messages.
    static func arguments(_ request: any Sendable) -> String {
        if let redacter = request as? any Redacter { return redacter.redact() }
        if let message = request as? any SwiftProtobuf.Message, let json = json(message) { return json }
        return described(request)
    }

    /// How requests of `request`'s type are written as `args`: ``arguments(_:)`` without its casts
    /// for a type that is a `Redacter` or a message itself; ``arguments(_:)`` for any other (a
    /// wrapper such as an Optional may hold a Redacter one time and not the next).
    static func argumentsWriter(for request: any Sendable) -> @Sendable (any Sendable) -> String {
        let type = type(of: request)
        if type is any Redacter.Type, let redacter = request as? any Redacter {
            func redacted<R: Redacter>(_: R) -> @Sendable (any Sendable) -> String {
                { withExactly($0, as: R.self, { $0.redact() }, otherwise: arguments) }
            }
            return redacted(redacter)
        }
        if type is any SwiftProtobuf.Message.Type, let message = request as? any SwiftProtobuf.Message {
            func encoded<M: SwiftProtobuf.Message>(_: M) -> @Sendable (any Sendable) -> String {
                { request in withExactly(request, as: M.self, { json($0) ?? arguments(request) }, otherwise: arguments) }
            }
            return encoded(message)
        }
        return arguments
    }

    /// A message as protojson on one line.
    static func json(_ message: some SwiftProtobuf.Message) -> String? {
        (try? ProtoJSONWriter.encode(message)).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Any other request: its description, on one line.
    static func described(_ request: any Sendable) -> String {
        String(describing: request).split(whereSeparator: \.isNewline).joined(separator: " ")
    }
}

/// A request that logs a redacted form of itself as `args` (go-kratos's `Redacter`), hiding
/// secrets such as passwords and tokens:
///
/// ```swift
/// extension LoginRequest: Redacter {
///     public func redact() -> String { "{\"user\":\"\(user)\",\"password\":\"***\"}" }
/// }
/// ```
public protocol Redacter: SendableMetatype {
    /// The text logged in place of the request.
    func redact() -> String
}
