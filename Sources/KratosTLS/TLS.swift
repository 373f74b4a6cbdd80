import KratosNIO
import NIOCore
import NIOSSL

/// TLS on swift-nio-ssl for a server's connections: its endpoint becomes `https://…` (HTTP) or
/// `grpcs://…` (gRPC). ALPN offers the transport's protocol (`http/1.1`, `h2`) unless the
/// configuration names its own.
///
/// ```swift
/// var configuration = KratosHTTPServer.Configuration(address: ":8443")
/// configuration.security = try .tls(.makeServerConfiguration(
///     certificateChain: try NIOSSLCertificate.fromPEMFile("cert.pem").map { .certificate($0) },
///     privateKey: .file("key.pem")))
/// ```
public struct TLS: ConnectionSecurity {
    private let contexts: Contexts

    /// - Throws: when the configuration's certificates or key cannot be loaded.
    public init(_ configuration: TLSConfiguration) throws {
        contexts = try Contexts(configuration)
    }

    public var isEncrypted: Bool { true }

    public func secure(_ channel: any Channel, applicationProtocol: String) throws {
        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: contexts.context(for: applicationProtocol)))
    }
}

/// TLS on swift-nio-ssl for a client's connections: the server's certificate checked against the
/// configuration's trust roots (the system's by default) and the host name.
///
/// ```swift
/// var trusted = TLSConfiguration.makeClientConfiguration()
/// trusted.trustRoots = .file("ca.pem")
/// let client = try await KratosGRPCClient(.init(endpoint: "grpcs://10.0.0.5:9000", security: try .tls(trusted)))
/// ```
public struct ClientTLS: ClientConnectionSecurity {
    private let contexts: Contexts

    /// - Throws: when the configuration's certificates or key cannot be loaded.
    public init(_ configuration: TLSConfiguration) throws {
        contexts = try Contexts(configuration)
    }

    public func secure(_ channel: any Channel, serverHostname: String?, applicationProtocol: String) throws {
        let handler = try NIOSSLClientHandler(context: contexts.context(for: applicationProtocol), serverHostname: serverHostname)
        try channel.pipeline.syncOperations.addHandler(handler)
    }
}

/// A context per transport protocol (ALPN differs between HTTP/1.1 and HTTP/2), made once.
private struct Contexts: Sendable {
    let http1: NIOSSLContext
    let h2: NIOSSLContext

    init(_ configuration: TLSConfiguration) throws {
        func made(_ protocols: [String]) throws -> NIOSSLContext {
            var configuration = configuration
            if configuration.applicationProtocols.isEmpty { configuration.applicationProtocols = protocols }
            return try NIOSSLContext(configuration: configuration)
        }
        http1 = try made(["http/1.1"])
        h2 = try made(["h2"])
    }

    func context(for applicationProtocol: String) -> NIOSSLContext {
        applicationProtocol == "h2" ? h2 : http1
    }
}

extension ConnectionSecurity where Self == TLS {
    /// TLS with `configuration`; see ``TLS``.
    public static func tls(_ configuration: TLSConfiguration) throws -> TLS {
        try TLS(configuration)
    }
}

extension ClientConnectionSecurity where Self == ClientTLS {
    /// TLS with `configuration`; see ``ClientTLS``.
    public static func tls(_ configuration: TLSConfiguration) throws -> ClientTLS {
        try ClientTLS(configuration)
    }
}
