import Logging
import Synchronization

/// The transport a request arrived on or leaves through.
public enum TransportKind: String, Sendable {
    case http
    case grpc
}

/// Everything middleware and handlers know about the request in flight, on either transport:
/// kind, endpoint, operation, request headers, reply headers, metadata, deadline, logger, app.
///
/// Available as an argument to every ``Middleware/Handler`` and ``Middleware``, and as
/// ``RequestContext/current`` anywhere in the handler's task (clients read it to propagate metadata).
public final class RequestContext: Sendable {
    public let kind: TransportKind
    /// The server's own endpoint, e.g. `http://127.0.0.1:8000`.
    public let endpoint: String
    /// `/package.Service/Method` for generated routes, else the route's path template.
    public let operation: String
    public let requestHeaders: any HeaderFields
    /// Metadata carried by the request's `x-md-` headers.
    public let metadata: Metadata
    /// When the handler must have answered; the server answers 504 past it.
    public let deadline: ContinuousClock.Instant?
    /// When the request arrived (a call, on a client: when it started). The request's `latency`
    /// in the log and its duration in the metrics count from here.
    public let received: ContinuousClock.Instant
    public let logger: Logger
    /// The app serving the request, when it runs inside a ``KratosApp``.
    public let app: AppInfo?
    /// For HTTP: the request's method, path, and the route's template (`/v1/books/{id}`).
    public let method: String?
    public let path: String?
    public let route: String?
    private let state = Mutex(State())

    private struct State {
        var reply = Headers()
        var trailers = Headers()
        var outgoing = Headers()
        var traceID: String?
        var spanID: String?
        var values: [ValueKey: any Sendable] = [:]
    }

    public init(
        kind: TransportKind,
        endpoint: String,
        operation: String,
        requestHeaders: any HeaderFields = Headers(),
        metadata: Metadata = Metadata(),
        deadline: ContinuousClock.Instant? = nil,
        logger: Logger = Logger(label: "kratos"),
        app: AppInfo? = nil,
        method: String? = nil,
        path: String? = nil,
        route: String? = nil,
        received: ContinuousClock.Instant = .now
    ) {
        self.kind = kind
        self.endpoint = endpoint
        self.operation = operation
        self.requestHeaders = requestHeaders
        self.metadata = metadata
        self.deadline = deadline
        self.logger = logger
        self.app = app
        self.method = method
        self.path = path
        self.route = route
        self.received = received
    }

    /// Headers to send with the reply; handlers and middleware may add to them.
    public var replyHeaders: Headers {
        get { state.withLock { $0.reply } }
    }

    /// Calls `body` for each reply header, without copying them.
    public func forEachReplyHeader(_ body: (String, String) -> Void) {
        state.withLock { state in
            for (name, value) in state.reply.fields { body(name, value) }
        }
    }

    /// Sets a reply header, replacing earlier values.
    public func setReplyHeader(_ name: String, _ value: String) {
        state.withLock { $0.reply.set(name, value) }
    }

    /// Adds a reply header value.
    public func addReplyHeader(_ name: String, _ value: String) {
        state.withLock { $0.reply.add(name, value) }
    }

    /// gRPC trailers to send after the reply (trailing metadata); HTTP replies have none.
    public var replyTrailers: Headers {
        state.withLock { $0.trailers }
    }

    /// Sets a reply trailer (gRPC trailing metadata), replacing earlier values.
    public func setReplyTrailer(_ name: String, _ value: String) {
        state.withLock { $0.trailers.set(name, value) }
    }

    /// On a client: headers (gRPC metadata) the call sends besides ``requestHeaders``, which
    /// client middleware add (the tracing middleware's `traceparent`).
    public var outgoingHeaders: Headers {
        state.withLock { $0.outgoing }
    }

    /// Sets a header the client call sends, replacing earlier values.
    public func setOutgoingHeader(_ name: String, _ value: String) {
        state.withLock { $0.outgoing.set(name, value) }
    }

    /// The trace the request is part of and its span, when a tracing middleware traces it (hex,
    /// as in `traceparent`).
    public var traceID: String? { state.withLock { $0.traceID } }
    public var spanID: String? { state.withLock { $0.spanID } }

    func setTrace(id: String, spanID: String) {
        state.withLock {
            $0.traceID = id
            $0.spanID = spanID
        }
    }

    /// Names a value middleware attach to the request for later middleware and the handler (the
    /// JWT middleware's verified claims): one per name and type.
    ///
    /// ```swift
    /// extension RequestContext.Key where Value == User {
    ///     static var user: Self { .init("user") }
    /// }
    /// context[.user] = user            // in a middleware
    /// let user = context[.user]        // in the handler
    /// ```
    public struct Key<Value: Sendable>: Sendable {
        public let name: String

        public init(_ name: String) {
            self.name = name
        }
    }

    private struct ValueKey: Hashable {
        let name: String
        let type: ObjectIdentifier
    }

    /// The value stored under `key`, if any; setting `nil` removes it.
    public subscript<Value>(key: Key<Value>) -> Value? {
        get { state.withLock { $0.values[ValueKey(name: key.name, type: ObjectIdentifier(Value.self))] } as? Value }
        set { state.withLock { $0.values[ValueKey(name: key.name, type: ObjectIdentifier(Value.self))] = newValue } }
    }

    /// The request being served by the current task, if any.
    @TaskLocal public static var current: RequestContext?
}
