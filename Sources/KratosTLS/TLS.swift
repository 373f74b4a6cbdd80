import KratosHTTP
import NIOCore
import NIOSSL

/// TLS on swift-nio-ssl for a server's connections: its endpoint becomes `https://…`.
///
/// ```swift
/// var configuration = KratosHTTPServer.Configuration(address: ":8443")
/// configuration.security = try .tls(.makeServerConfiguration(
///     certificateChain: try NIOSSLCertificate.fromPEMFile("cert.pem").map { .certificate($0) },
///     privateKey: .file("key.pem")))
/// ```
public struct TLS: ConnectionSecurity {
    private let context: NIOSSLContext

    /// - Throws: when the configuration's certificates or key cannot be loaded.
    public init(_ configuration: TLSConfiguration) throws {
        context = try NIOSSLContext(configuration: configuration)
    }

    public var scheme: String { "https" }

    public func secure(_ channel: any Channel) throws {
        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context))
    }
}

extension ConnectionSecurity where Self == TLS {
    /// TLS with `configuration`; see ``TLS``.
    public static func tls(_ configuration: TLSConfiguration) throws -> TLS {
        try TLS(configuration)
    }
}
