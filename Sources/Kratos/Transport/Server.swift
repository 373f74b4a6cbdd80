import ServiceLifecycle

/// A transport server that a ``KratosApp`` runs.
///
/// The app binds every server first, so endpoints are known (even for port 0) before anything
/// starts, then runs them as ServiceLifecycle services: on graceful shutdown a server stops
/// accepting, lets requests in flight finish, and returns from `run()`.
public protocol TransportServer: Service {
    var kind: TransportKind { get }
    /// Binds the listener if it is not yet bound and returns the endpoint, e.g.
    /// `http://127.0.0.1:8000`. Calling it again returns the same endpoint.
    func bind() async throws -> String
    /// Stops gracefully, as a shutdown of the group running it would: stops accepting and waits
    /// until requests in flight are answered.
    func shutdown() async
}

/// A transport server whose middleware lives in a ``ServerCore``: registering middleware is the
/// same for every transport.
public protocol MiddlewareServer: AnyObject, Sendable {
    associatedtype Registration: Sendable
    /// The middleware, registrations, bind and app the server shares with every transport.
    var core: ServerCore<Registration> { get }
}

extension MiddlewareServer {
    /// Adds middleware for every operation.
    public func use(_ middleware: any Middleware...) {
        core.use(middleware)
    }

    /// Adds middleware for the operations `matchers` select (`"/*"`, `"/pkg.Svc/*"`, exact).
    public func use(_ matchers: [OperationMatcher], _ middleware: any Middleware...) {
        core.use(matchers, middleware)
    }
}
