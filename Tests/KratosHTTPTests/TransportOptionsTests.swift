import Foundation
import Kratos
import KratosHTTP
import KratosTLS
import KratosTestSupport
import NIOCore
import NIOPosix
import NIOSSL
import Testing

/// TLS, path prefix and the read timeout, over real sockets.
@Suite struct TransportOptionsTests {
    @Test func servesHTTPSWithTheConfiguredCertificate() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-tls-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = dir.appendingPathComponent("key.pem").path, cert = dir.appendingPathComponent("cert.pem").path
        let made = try await runProcess("/usr/bin/openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                                                             "-days", "1", "-subj", "/CN=localhost"])
        #expect(made.status == 0)
        let server = loopbackServer { configuration in
            configuration.security = try? .tls(.makeServerConfiguration(
                certificateChain: (try? NIOSSLCertificate.fromPEMFile(cert).map { .certificate($0) }) ?? [],
                privateKey: .privateKey(try NIOSSLPrivateKey(file: key, format: .pem))))
        }
        // The context names the server's own advertised endpoint, scheme included.
        try server.route(.GET, "/helloworld/{name}", operation: "/test.Greeter/SayHello") { (request: HelloRequest, context) in
            HelloReply.with { $0.message = "Hello \(request.name) at \(context.endpoint)" }
        }
        #expect(server.configuration.security != nil)
        try await withServer(server) { endpoint in
            #expect(endpoint.hasPrefix("https://127.0.0.1:"))
            let reply = try await curl("--cacert", cert, "--resolve", "localhost:\(endpoint.split(separator: ":").last!):127.0.0.1",
                                       "https://localhost:\(endpoint.split(separator: ":").last!)/helloworld/tls")
            #expect(reply.status == 200 && reply.text == #"{"message":"Hello tls at \#(endpoint)"}"#)
        }
    }

    @Test func pathPrefixAppliesToEveryRoute() async throws {
        let server = loopbackServer { $0.pathPrefix = "/api" }
        try server.route(.GET, "/helloworld/{name}", operation: "/test.Greeter/SayHello") { (request: HelloRequest, _) in
            HelloReply.with { $0.message = "Hello \(request.name)" }
        }
        try await withServer(server) { endpoint in
            let prefixed = try await curl(endpoint + "/api/helloworld/p"), bare = try await curl(endpoint + "/helloworld/p")
            #expect(prefixed.status == 200)
            #expect(bare.status == 404)
        }
    }

    /// A client that sends half a request and stalls gets 408 and a closed connection.
    @Test func aStalledRequestIsAnswered408() async throws {
        let server = loopbackServer { $0.readTimeout = .milliseconds(200) }
        try server.route(.POST, "/v1/books", operation: "/test.Books/Create", body: .all) { (book: Book, _) in book }
        try await withServer(server) { endpoint in
            let port = Int(endpoint.split(separator: ":").last!)!
            let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: "127.0.0.1", port: port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            let start = ContinuousClock.now
            let text = try await channel.executeThenClose { inbound, outbound in
                try await outbound.write(ByteBuffer(string: "POST /v1/books HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"id\":"))
                var received = ""
                for try await chunk in inbound { received += String(buffer: chunk) }
                return received
            }
            #expect(text.hasPrefix("HTTP/1.1 408"))
            #expect(text.contains(#""reason":"REQUEST_TIMEOUT""#))
            #expect(ContinuousClock.now - start < .seconds(5))
        }
    }
}
