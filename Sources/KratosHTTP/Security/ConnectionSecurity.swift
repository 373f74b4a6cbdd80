import NIOCore

/// Security set up on every connection a server accepts, before any HTTP is read: TLS from the
/// `KratosTLS` product, or your own. A server without it serves plain HTTP, and a service that
/// serves plain HTTP (behind a mesh or an ingress) compiles no TLS library.
///
/// ```swift
/// import KratosTLS
/// configuration.security = try .tls(.makeServerConfiguration(certificateChain: chain, privateKey: key))
/// ```
public protocol ConnectionSecurity: Sendable {
    /// The URL scheme of the server's endpoint with this security, e.g. `https`.
    var scheme: String { get }
    /// Adds this security's handlers to a new connection's pipeline; called on its event loop
    /// before the HTTP handlers are added behind them.
    func secure(_ channel: any Channel) throws
}
