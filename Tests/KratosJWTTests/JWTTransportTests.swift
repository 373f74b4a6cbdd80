import Foundation
import Kratos
import KratosGRPC
import KratosHTTP
import KratosJWT
import KratosTestSupport
import NIOCore
import Testing

/// JWTAuth on loopback servers of both transports, with tokens pyjwt made: curl over HTTP,
/// Python grpcio over gRPC, the same table of tokens and the reason each must get.
@Suite struct JWTTransportTests {
    /// Token name (of tokens.py) → the 401 reason, or nil for 200/OK.
    static let table: [(token: String, reason: String?)] = [
        ("hs256", nil), ("hs256_kid", nil), ("rs256", nil), ("es256", nil), ("eddsa", nil),
        ("expired", "JWT_TOKEN_EXPIRED"), ("not_before", "JWT_TOKEN_NOT_YET_VALID"), ("issued_later", "JWT_TOKEN_NOT_YET_VALID"),
        ("wrong_secret", "JWT_SIGNATURE_INVALID"), ("wrong_rsa", "JWT_SIGNATURE_INVALID"), ("wrong_ec", "JWT_SIGNATURE_INVALID"),
        ("none", "JWT_ALGORITHM_UNSUPPORTED"), ("hs512", "JWT_ALGORITHM_UNSUPPORTED"),
        ("crit", "JWT_TOKEN_MALFORMED"), ("garbage", "JWT_TOKEN_MALFORMED"), ("not_json", "JWT_TOKEN_MALFORMED"), ("exp_text", "JWT_TOKEN_MALFORMED"),
    ]

    @Test func overHTTPFromCurl() async throws {
        try await withTokens { tokens in
            let capture = LogCapture()
            let server = loopbackServer(middleware: [Recovery(), JWTAuth(keys: try tokens.keySet())]) { $0.logger = capture.logger }
            try ClaimsGreeter().register(on: server)
            try await withServer(server) { endpoint in
                for (name, reason) in Self.table {
                    let reply = try await curl("-H", "authorization: Bearer \(tokens[name])", endpoint + "/helloworld/curl")
                    if let reason {
                        #expect(reply.status == 401, "\(name)")
                        let body = try reply.json()
                        #expect(body["code"] as? Int == 401 && body["reason"] as? String == reason, "\(name): \(reply.text)")
                        #expect(!reply.text.contains(tokens[name]), "\(name): the token is echoed")
                    } else {
                        #expect(reply.status == 200, "\(name): \(reply.text)")
                        #expect(try reply.json()["message"] as? String == "Hello curl from alice", "\(name)")
                    }
                }
                let missing = try await curl(endpoint + "/helloworld/curl")
                #expect(try missing.status == 401 && missing.json()["reason"] as? String == "JWT_TOKEN_MISSING")
                let basic = try await curl("-H", "authorization: Basic YWxhZGRpbjpvcGVuc2VzYW1l", endpoint + "/helloworld/curl")
                #expect(try basic.status == 401 && basic.json()["reason"] as? String == "JWT_TOKEN_MISSING")
                // The scheme in any case, as go-kratos accepts it.
                let lower = try await curl("-H", "Authorization: bearer \(tokens["hs256"])", endpoint + "/helloworld/curl")
                #expect(lower.status == 200)
            }
            // Refusals are logged with their reason; no token is ever written.
            let lines = capture.lines
            #expect(lines.contains { $0.contains("JWT_SIGNATURE_INVALID") })
            for (name, token) in tokens.tokens where token.count > 20 {
                let segments = token.split(separator: ".").filter { $0.count > 8 }
                #expect(!lines.contains { line in segments.contains { line.contains($0) } }, "\(name) logged")
            }
        }
    }

    @Test func overGRPCFromPythonGrpcio() async throws {
        try await withTokens { tokens in
            try await withGreeterStubs { stubs in
                let server = loopbackGRPCServer(middleware: [Recovery(), JWTAuth(keys: try tokens.keySet())])
                try ClaimsGreeter().register(on: server)
                try await withServer(server) { endpoint in
                    var cases: [String: (method: String, authorization: String?)] = [:]
                    for (name, _) in Self.table { cases[name] = ("SayHello", "Bearer \(tokens[name])") }
                    cases["absent"] = ("SayHello", nil)
                    cases["basic"] = ("SayHello", "Basic YWxhZGRpbjpvcGVuc2VzYW1l")
                    cases["spell"] = ("Spell", "Bearer \(tokens["es256"])")
                    cases["spell_expired"] = ("Spell", "Bearer \(tokens["expired"])")
                    let outcomes = try await grpcio(stubs, endpoint, cases)
                    let expected = Self.table + [("absent", "JWT_TOKEN_MISSING"), ("basic", "JWT_TOKEN_MISSING"), ("spell_expired", "JWT_TOKEN_EXPIRED")]
                    for (name, reason) in expected {
                        let outcome = outcomes[name]
                        if let reason {
                            #expect(outcome?.code == "UNAUTHENTICATED" && outcome?.status == 16, "\(name): \(String(describing: outcome))")
                            #expect(outcome?.reason == reason && outcome?.details_in_trailers == true, "\(name): \(String(describing: outcome))")
                        } else {
                            #expect(outcome?.code == "OK" && outcome?.reply == "Hello py from alice", "\(name): \(String(describing: outcome))")
                        }
                    }
                    #expect(outcomes["spell"]?.reply == "py")
                }
            }
        }
    }

    /// JWT on every operation but SayHello and health, with ``Selective``: grpcio calls SayHello
    /// and the health check without a token, and needs one for Spell.
    @Test func everywhereButSayHelloAndHealthOverGRPC() async throws {
        try await withTokens { tokens in
            try await withGreeterStubs { stubs in
                let jwt = Selective(except: [.exact(Kratos_Test_V1_GreeterOperation.sayHello), "/grpc.health.v1.Health/*"],
                                    try JWTAuth(secret: tokens.secret))
                let server = loopbackGRPCServer(middleware: [Recovery(), jwt])
                try ClaimsGreeter().register(on: server)
                try await withServer(server) { endpoint in
                    let outcomes = try await grpcio(stubs, endpoint, [
                        "hello": ("SayHello", nil), "health": ("Health", nil),
                        "spell": ("Spell", nil), "spell_token": ("Spell", "Bearer \(tokens["hs256"])"),
                        "spell_bad": ("Spell", "Bearer \(tokens["wrong_secret"])"),
                    ])
                    #expect(outcomes["hello"]?.reply == "Hello py from nobody")
                    #expect(outcomes["health"]?.reply == "SERVING")
                    #expect(outcomes["spell"]?.code == "UNAUTHENTICATED" && outcomes["spell"]?.reason == "JWT_TOKEN_MISSING")
                    #expect(outcomes["spell_token"]?.reply == "py")
                    #expect(outcomes["spell_bad"]?.reason == "JWT_SIGNATURE_INVALID")
                }
            }
        }
    }

    /// The same over HTTP: a route of its own is protected, SayHello is not.
    @Test func everywhereButSayHelloOverHTTP() async throws {
        try await withTokens { tokens in
            let jwt = Selective(except: [.exact(Kratos_Test_V1_GreeterOperation.sayHello), "/grpc.health.v1.Health/*"],
                                try JWTAuth(secret: tokens.secret))
            let server = loopbackServer(middleware: [Recovery(), jwt])
            try ClaimsGreeter().register(on: server)
            try server.route(.GET, "/private", operation: "/kratos.test.v1.Private/Get") { request in
                HTTPResponse(status: .ok, body: .init(string: request.context.jwtClaims?.subject ?? "nobody"))
            }
            try await withServer(server) { endpoint in
                #expect(try await curl(endpoint + "/helloworld/open").json()["message"] as? String == "Hello open from nobody")
                let refused = try await curl(endpoint + "/private")
                #expect(try refused.status == 401 && refused.json()["reason"] as? String == "JWT_TOKEN_MISSING")
                let allowed = try await curl("-H", "authorization: Bearer \(tokens["hs256"])", endpoint + "/private")
                #expect(allowed.status == 200 && allowed.text == "alice")
            }
        }
    }

    /// The other way round, with the server's own selector: JWT only for the operations it names.
    @Test func onlyTheSelectedOperationsWithTheServersSelector() async throws {
        try await withTokens { tokens in
            let server = loopbackServer(middleware: [Recovery()])
            server.use(["/kratos.test.v1.Private/*"], try JWTAuth(secret: tokens.secret))
            try ClaimsGreeter().register(on: server)
            try server.route(.GET, "/private", operation: "/kratos.test.v1.Private/Get") { request in
                HTTPResponse(status: .ok, body: .init(string: request.context.jwtClaims?.subject ?? "nobody"))
            }
            try await withServer(server) { endpoint in
                #expect(try await curl(endpoint + "/helloworld/open").json()["message"] as? String == "Hello open from nobody")
                let refused = try await curl("-H", "authorization: Bearer \(tokens["expired"])", endpoint + "/private")
                #expect(try refused.status == 401 && refused.json()["reason"] as? String == "JWT_TOKEN_EXPIRED")
                let allowed = try await curl("-H", "authorization: Bearer \(tokens["hs256"])", endpoint + "/private")
                #expect(allowed.status == 200 && allowed.text == "alice")
            }
        }
    }
}
