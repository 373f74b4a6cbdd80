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
}
