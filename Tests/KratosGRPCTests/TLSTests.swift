import Foundation
import Kratos
import KratosGRPC
import KratosTLS
import KratosTestSupport
import NIOSSL
import Testing

/// gRPC over TLS (KratosTLS): the server serves `grpcs://` with ALPN h2, to our client and to
/// grpcio; a client that does not trust the certificate, or speaks in the clear, is refused.
@Suite struct TLSTests {
    static func server(_ certificates: TestCertificates) throws -> KratosGRPCServer {
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0)
        configuration.logger = quietLogger("test.grpc")
        configuration.security = try .tls(.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(certificates.serverCertificate).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: certificates.serverKey, format: .pem))))
        let server = KratosGRPCServer(configuration)
        try TestGreeter().register(on: server)
        return server
    }

    static func trusting(_ certificates: TestCertificates) throws -> ClientTLS {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.trustRoots = .file(certificates.caCertificate)
        return try .tls(configuration)
    }

    @Test func servesGRPCSToOurClientAndToGrpcio() async throws {
        let certificates = try await TestCertificates()
        defer { certificates.remove() }
        try await withServer(try Self.server(certificates)) { endpoint in
            #expect(endpoint.hasPrefix("grpcs://127.0.0.1:"))
            let port = endpoint.split(separator: ":").last.map(String.init) ?? ""
            // By IP (the certificate names 127.0.0.1) and by name (SNI and the name checked).
            for target in [endpoint, "grpcs://localhost:\(port)"] {
                let reply = try await KratosGRPCClient.with(.init(endpoint: target, security: try Self.trusting(certificates))) { client in
                    try await Kratos_Test_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "tls" })
                }
                #expect(reply.message == "Hello tls", "\(target)")
            }
            // grpcio with the CA: a real TLS stack checks our certificate and ALPN.
            let script = """
                import sys, grpc
                creds = grpc.ssl_channel_credentials(root_certificates=open(sys.argv[1], 'rb').read())
                with grpc.secure_channel(sys.argv[2], creds) as channel:
                    say = channel.unary_unary('/kratos.test.v1.Greeter/SayHello')
                    reply = say(b'\\x0a\\x06grpcio', timeout=10)
                    print(reply[2:].decode())
                """
            let python = try await runProcess("/usr/bin/env", ["python3", "-c", script, certificates.caCertificate, "localhost:\(port)"])
            #expect(String(decoding: python.stdout, as: UTF8.self) == "Hello grpcio\n", "\(String(decoding: python.stderr, as: UTF8.self))")

            // Not trusting the server's CA (the system's roots): refused, UNAVAILABLE, no hang.
            let untrusted = await #expect(throws: KratosError.self) {
                try await KratosGRPCClient.with(.init(endpoint: endpoint, timeout: .seconds(5), security: try .tls(.makeClientConfiguration()),
                                                      logger: quietLogger("test.client"))) { client in
                    try await Kratos_Test_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "x" })
                }
            }
            #expect(untrusted?.grpcCode == .unavailable, "\(String(describing: untrusted))")
            // In the clear against a TLS server: refused too.
            let plain = await #expect(throws: KratosError.self) {
                try await KratosGRPCClient.with(.init(endpoint: "127.0.0.1:\(port)", timeout: .seconds(5), logger: quietLogger("test.client"))) { client in
                    try await Kratos_Test_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "x" })
                }
            }
            #expect(plain != nil)
        }
    }

    @Test func aGRPCSEndpointWithoutSecurityIsABadEndpoint() async throws {
        let error = await #expect(throws: KratosError.self) {
            _ = try await KratosGRPCClient(.init(endpoint: "grpcs://127.0.0.1:1"))
        }
        #expect(error?.reason == "BAD_ENDPOINT" && error?.message.contains("TLS") == true)
    }
}
