import NIOCore

/// Security set up on every connection a server accepts, before its protocol is read: TLS from
/// the `KratosTLS` product, or your own. A server without it serves in the clear, and a service
/// that does (behind a mesh or an ingress) compiles no TLS library.
///
/// ```swift
/// import KratosTLS
/// configuration.security = try .tls(.makeServerConfiguration(certificateChain: chain, privateKey: key))
/// ```
public protocol ConnectionSecurity: Sendable {
    /// Whether connections are encrypted: the server's endpoint is then `https://` or `grpcs://`.
    var isEncrypted: Bool { get }
    /// Adds this security's handlers to a new connection's pipeline; called on its event loop
    /// before the transport's own handlers are added behind them.
    /// - Parameter applicationProtocol: the transport's protocol as ALPN names it (`http/1.1`, `h2`).
    func secure(_ channel: any Channel, applicationProtocol: String) throws
}

/// Security set up on every connection a client opens, before its protocol is spoken: TLS from the
/// `KratosTLS` product (`.tls(.makeClientConfiguration())`), or your own.
public protocol ClientConnectionSecurity: Sendable {
    /// Adds this security's handlers to a new connection's pipeline, on its event loop, before the
    /// transport's own.
    /// - Parameters:
    ///   - serverHostname: the host the connection is for (TLS's SNI and certificate check); nil
    ///     for an IP address.
    ///   - applicationProtocol: the transport's protocol as ALPN names it (`h2` for gRPC).
    func secure(_ channel: any Channel, serverHostname: String?, applicationProtocol: String) throws
}
