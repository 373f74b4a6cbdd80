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
    public let logger: Logger
    /// The app serving the request, when it runs inside a ``KratosApp``.
    public let app: AppInfo?
    private let reply = Mutex(Headers())

    public init(
        kind: TransportKind,
        endpoint: String,
        operation: String,
        requestHeaders: any HeaderFields = Headers(),
        metadata: Metadata = Metadata(),
        deadline: ContinuousClock.Instant? = nil,
        logger: Logger = Logger(label: "kratos"),
        app: AppInfo? = nil
    ) {
        self.kind = kind
        self.endpoint = endpoint
        self.operation = operation
        self.requestHeaders = requestHeaders
        self.metadata = metadata
        self.deadline = deadline
        self.logger = logger
        self.app = app
    }

    /// Headers to send with the reply; handlers and middleware may add to them.
    public var replyHeaders: Headers {
        get { reply.withLock { $0 } }
    }

    /// Calls `body` for each reply header, without copying them.
    public func forEachReplyHeader(_ body: (String, String) -> Void) {
        reply.withLock { headers in
            for (name, value) in headers.fields { body(name, value) }
        }
    }

    /// Sets a reply header, replacing earlier values.
    public func setReplyHeader(_ name: String, _ value: String) {
        reply.withLock { $0.set(name, value) }
    }

    /// Adds a reply header value.
    public func addReplyHeader(_ name: String, _ value: String) {
        reply.withLock { $0.add(name, value) }
    }

    /// The request being served by the current task, if any.
    @TaskLocal public static var current: RequestContext?
}
