import Foundation
import Kratos
import KratosGRPC
import KratosHTTP
import KratosHTTPClient
import KratosJWT
import KratosTestSupport
import Testing

/// The greeter that answers by calling another greeter over gRPC (a service calling the next one
/// down), relaying its message.
struct RelayGreeter: Kratos_Test_V1_GreeterService {
    let downstream: Kratos_Test_V1_GreeterGRPCClient

    func sayHello(_ request: Kratos_Test_V1_HelloRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        let reply = try await downstream.sayHello(request)
        return .with { $0.message = "relayed: " + reply.message }
    }

    func spell(_ request: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {}

    func gather(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        .init()
    }

    func chat(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {}
}

/// JWTClient on our own clients against JWT-protected servers: tokens it signs per call (HS256
/// over gRPC, ES256 over HTTP), and the caller's token forwarded to the next service.
@Suite struct JWTClientTests {
    @Test func signsATokenPerCallOverGRPC() async throws {
        try await withTokens { tokens in
            let server = loopbackGRPCServer(middleware: [Recovery(), JWTAuth(JWTAuth.Configuration(keys: [try .hmac(tokens.secret)], requireExpiration: true))])
            try ClaimsGreeter().register(on: server)
            try await withServer(server) { endpoint in
                let signing = JWTClient(key: try .hmac(tokens.secret)) { context in ["sub": .string("svc:" + context.operation)] }
                try await KratosGRPCClient.with(.init(endpoint: endpoint), middleware: [signing]) { client in
                    let reply = try await Kratos_Test_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "grpc" })
                    #expect(reply.message == "Hello grpc from svc:/kratos.test.v1.Greeter/SayHello")
                }
                // Signed with another secret: the server's reason comes back as the client's error.
                _ = try await KratosGRPCClient.with(.init(endpoint: endpoint), middleware: [JWTClient(key: try .hmac(String(tokens.secret.reversed())))]) { client in
                    await #expect {
                        _ = try await Kratos_Test_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "grpc" })
                    } throws: { error in
                        (error as? KratosError).map { $0.code == 401 && $0.reason == "JWT_SIGNATURE_INVALID" && $0.grpcCode == .unauthenticated } ?? false
                    }
                }
                // No lifetime: no exp, which this server requires.
                _ = try await KratosGRPCClient.with(.init(endpoint: endpoint), middleware: [JWTClient(key: try .hmac(tokens.secret), lifetime: nil)]) { client in
                    await #expect {
                        _ = try await Kratos_Test_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "grpc" })
                    } throws: { error in
                        (error as? KratosError)?.reason == "JWT_CLAIMS_INVALID"
                    }
                }
            }
        }
    }

    @Test func signsWithAnECKeyOverHTTP() async throws {
        try await withTokens { tokens in
            let verifying = try JWTKey.ecdsa(pem: tokens.text("ec.pem"), kid: "ec-1")
            let server = loopbackServer(middleware: [Recovery(), JWTAuth(keys: [verifying])])
            try ClaimsGreeter().register(on: server)
            try await withServer(server) { endpoint in
                let signing = try JWTKey.ecdsa(pem: tokens.text("ec-private.pem"), kid: "ec-1")
                #expect(signing.algorithm == "ES256")
                let client = KratosHTTPClient(.init(endpoint: endpoint), middleware: [JWTClient(key: signing) { _ in ["sub": "http-client"] }])
                let reply = try await Kratos_Test_V1_GreeterHTTPClient(client).sayHello(.with { $0.name = "http" })
                #expect(reply.message == "Hello http from http-client")

                // A public key cannot sign: the call fails before it is sent, with a reason.
                let unsigned = KratosHTTPClient(.init(endpoint: endpoint), middleware: [JWTClient(key: verifying)])
                await #expect {
                    _ = try await Kratos_Test_V1_GreeterHTTPClient(unsigned).sayHello(.with { $0.name = "http" })
                } throws: { error in
                    (error as? KratosError)?.reason == "JWT_SIGNING_FAILED"
                }
            }
        }
    }

    /// curl → front (HTTP, JWT) → back (gRPC, JWT): the front's client forwards the caller's
    /// token, so the back sees the caller's subject; without forwarding the back refuses.
    @Test func forwardsTheCallersToken() async throws {
        try await withTokens { tokens in
            let back = loopbackGRPCServer(middleware: [Recovery(), try JWTAuth(secret: tokens.secret)])
            try ClaimsGreeter().register(on: back)
            try await withServer(back) { backEndpoint in
                for forwarding in [true, false] {
                    try await KratosGRPCClient.with(.init(endpoint: backEndpoint), middleware: forwarding ? [JWTClient.forwarding] : []) { client in
                        let front = loopbackServer(timeout: .seconds(5), middleware: [Recovery(), try JWTAuth(secret: tokens.secret)])
                        try RelayGreeter(downstream: Kratos_Test_V1_GreeterGRPCClient(client)).register(on: front)
                        try await withServer(front) { endpoint in
                            let reply = try await curl("-H", "authorization: Bearer \(tokens["hs256"])", endpoint + "/helloworld/relay")
                            if forwarding {
                                #expect(reply.status == 200)
                                #expect(try reply.json()["message"] as? String == "relayed: Hello relay from alice")
                            } else {
                                #expect(reply.status == 401)
                                #expect(try reply.json()["reason"] as? String == "JWT_TOKEN_MISSING")
                            }
                        }
                    }
                }
            }
        }
    }
}
