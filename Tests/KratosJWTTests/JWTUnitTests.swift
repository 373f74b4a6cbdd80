import Foundation
import Kratos
@testable import KratosJWT
import Testing

/// JWTAuth and JWTClient in-process (no socket): leeway, required claims, the bearer header,
/// claims in the context, composition with Selective under go-kratos's operation names.
@Suite struct JWTUnitTests {
    static func context(_ operation: String = "/helloworld.v1.Greeter/SayHello", authorization: String? = nil) -> RequestContext {
        var headers = Headers()
        if let authorization { headers.add("authorization", authorization) }
        return RequestContext(kind: .grpc, endpoint: "grpc://127.0.0.1:9000", operation: operation, requestHeaders: headers)
    }

    /// The reason `middleware` refuses a request with, or "ok" and the subject the handler saw.
    static func outcome(_ middleware: any Middleware, _ context: RequestContext) async -> String {
        let handler = MiddlewareChain(middleware).wrap { _, context in "ok \(context.jwtClaims?.subject ?? "-")" }
        do {
            return try await handler("request", context) as? String ?? "?"
        } catch {
            return KratosError(error).code == 401 ? KratosError(error).reason : "unexpected \(error)"
        }
    }

    @Test func leewayAcceptsARecentlyExpiredToken() async throws {
        try await withTokens { tokens in
            let strict = try JWTAuth(secret: tokens.secret)
            let lenient = try JWTAuth(secret: tokens.secret, leeway: .seconds(60))
            #expect(await Self.outcome(strict, Self.context(authorization: "Bearer \(tokens["expired_5s"])")) == "JWT_TOKEN_EXPIRED")
            #expect(await Self.outcome(lenient, Self.context(authorization: "Bearer \(tokens["expired_5s"])")) == "ok alice")
            #expect(await Self.outcome(lenient, Self.context(authorization: "Bearer \(tokens["expired"])")) == "JWT_TOKEN_EXPIRED")
        }
    }

    @Test func timeClaimsAtTheirEdges() throws {
        let verifier = TokenVerifier(configuration: .init(keys: [], leeway: .seconds(10)))
        let now = Date(timeIntervalSince1970: 1_000_000)
        #expect(throws: Never.self) { try verifier.check(["exp": 1_000_009], now: now) }
        #expect { try verifier.check(["exp": 999_990], now: now) } throws: { ($0 as? KratosError)?.reason == "JWT_TOKEN_EXPIRED" }
        #expect(throws: Never.self) { try verifier.check(["nbf": 1_000_010, "iat": 1_000_009.5], now: now) }
        #expect { try verifier.check(["nbf": 1_000_011], now: now) } throws: { ($0 as? KratosError)?.reason == "JWT_TOKEN_NOT_YET_VALID" }
        #expect { try verifier.check(["iat": 1_000_011], now: now) } throws: { ($0 as? KratosError)?.reason == "JWT_TOKEN_NOT_YET_VALID" }
        #expect { try verifier.check(["nbf": "soon"], now: now) } throws: { ($0 as? KratosError)?.reason == "JWT_TOKEN_MALFORMED" }
    }

    @Test func requiredClaims() throws {
        let verifier = TokenVerifier(configuration: .init(keys: [], requireExpiration: true, issuer: "https://issuer", audience: "greeter"))
        let exp = JWTClaimValue.integer(Int64(Date().timeIntervalSince1970) + 60)
        #expect(throws: Never.self) { try verifier.check(["exp": exp, "iss": "https://issuer", "aud": ["other", "greeter"]]) }
        #expect(throws: Never.self) { try verifier.check(["exp": exp, "iss": "https://issuer", "aud": "greeter"]) }
        for claims: JWTClaims in [["iss": "https://issuer", "aud": "greeter"], ["exp": exp, "aud": "greeter"],
                                  ["exp": exp, "iss": "https://issuer", "aud": "other"]] {
            #expect { try verifier.check(claims) } throws: { ($0 as? KratosError)?.reason == "JWT_CLAIMS_INVALID" }
        }
    }

    @Test func claimsReachTheHandlerAndDecodeIntoATypeOfOurOwn() async throws {
        struct Session: Decodable, Equatable {
            let sub: String
            let role: String
            let scopes: [String]
        }
        try await withTokens { tokens in
            let context = Self.context(authorization: "Bearer \(tokens["hs256"])")
            let handler = MiddlewareChain(try JWTAuth(secret: tokens.secret)).wrap { _, context in
                #expect(JWTClaims.current == nil, "the test sets no task-local context")
                let claims = try #require(context.jwtClaims)
                #expect(claims.expiresAt.map { $0 > Date() } == true)
                #expect(claims["role"]?.stringValue == "admin")
                return try claims.decode(Session.self)
            }
            let session = try await handler("request", context) as? Session
            #expect(session == Session(sub: "alice", role: "admin", scopes: ["read", "write"]))
        }
    }

    @Test func bearerHeaderForms() {
        func token(_ value: String) -> String? { JWTAuth.bearerToken(in: ["Authorization": value] as Headers) }
        #expect(token("Bearer abc.def.ghi") == "abc.def.ghi")
        #expect(token("bearer   abc.def.ghi  ") == "abc.def.ghi")
        #expect(token("BEARER x") == "x")
        #expect(token("Bearer") == nil && token("Bearer ") == nil && token("Basic abc") == nil && token("abc.def.ghi") == nil)
        #expect(JWTAuth.bearerToken(in: Headers()) == nil)
    }

    /// go-kratos's example: JWT on everything but `/helloworld.v1.Greeter/SayHello` and health.
    @Test func selectiveLeavesOutTheOperationsItNames() async throws {
        try await withTokens { tokens in
            let jwt = Selective(except: ["/helloworld.v1.Greeter/SayHello", "/grpc.health.v1.Health/*"], try JWTAuth(secret: tokens.secret))
            #expect(await Self.outcome(jwt, Self.context("/helloworld.v1.Greeter/SayHello")) == "ok -")
            #expect(await Self.outcome(jwt, Self.context("/grpc.health.v1.Health/Check")) == "ok -")
            #expect(await Self.outcome(jwt, Self.context("/helloworld.v1.Greeter/SayGoodbye")) == "JWT_TOKEN_MISSING")
            #expect(await Self.outcome(jwt, Self.context("/helloworld.v1.Greeter/SayGoodbye", authorization: "Bearer \(tokens["hs256"])")) == "ok alice")
            let only = Selective(only: ["/admin.v1.Admin/*"], try JWTAuth(secret: tokens.secret))
            #expect(await Self.outcome(only, Self.context("/helloworld.v1.Greeter/SayHello")) == "ok -")
            #expect(await Self.outcome(only, Self.context("/admin.v1.Admin/Purge")) == "JWT_TOKEN_MISSING")
        }
    }

    @Test func theClientSignsWhatTheServerAccepts() async throws {
        let secret = String(repeating: "0123456789abcdef", count: 3)  // 48 bytes, as HS384 needs
        let client = JWTClient(key: try .hmac(secret, algorithm: .hs384, kid: "v2"), lifetime: .seconds(30)) { _ in ["sub": "svc"] }
        let outgoing = Self.context("/helloworld.v1.Greeter/SayHello")
        _ = try await MiddlewareChain(client).wrap { request, _ in request }("request", outgoing)
        let header = try #require(outgoing.outgoingHeaders.first("authorization"))
        let server = JWTAuth(JWTAuth.Configuration(keys: [try .hmac(secret, algorithm: .hs384, kid: "v2")], requireExpiration: true))
        #expect(await Self.outcome(server, Self.context(authorization: header)) == "ok svc")
        #expect(await Self.outcome(try JWTAuth(secret: secret), Self.context(authorization: header)) == "JWT_ALGORITHM_UNSUPPORTED")
    }

    @Test func contextValuesAreKeyedByNameAndType() {
        let context = Self.context()
        let count = RequestContext.Key<Int>("count")
        let name = RequestContext.Key<String>("count")
        context[count] = 3
        #expect(context[count] == 3 && context[name] == nil)
        context[name] = "three"
        #expect(context[count] == 3 && context[name] == "three")
        context[count] = nil
        #expect(context[count] == nil)
    }

    @Test func keysThatAreNotKeysAreRefusedWhenMade() {
        #expect { _ = try JWTKey.rsa(pem: "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----") } throws: {
            ($0 as? KratosError)?.reason == "JWT_KEY_INVALID"
        }
        #expect { _ = try JWTKey.ecdsa(pem: "not a key") } throws: { ($0 as? KratosError)?.reason == "JWT_KEY_INVALID" }
        #expect { _ = try JWTKey.eddsa(pem: "not a key") } throws: { ($0 as? KratosError)?.reason == "JWT_KEY_INVALID" }
        // Shorter than the hash: RFC 7518 §3.2 (and jwt-kit would trap on it).
        #expect { _ = try JWTKey.hmac("secret") } throws: { ($0 as? KratosError)?.reason == "JWT_KEY_INVALID" }
        #expect { _ = try JWTKey.hmac(String(repeating: "x", count: 63), algorithm: .hs512) } throws: {
            ($0 as? KratosError)?.reason == "JWT_KEY_INVALID"
        }
        #expect(throws: Never.self) { _ = try JWTKey.hmac(String(repeating: "x", count: 32)) }
    }

    /// Hostile tokens are 401s, never a 500 or a trap: deep nesting, huge and odd numbers, random
    /// text of the token alphabet.
    @Test func hostileTokensAreRefusedWith401() async throws {
        let auth = try JWTAuth(secret: String(repeating: "k", count: 32))
        func b64(_ text: String) -> String {
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-")
                .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        }
        let header = b64(#"{"alg":"HS256","typ":"JWT"}"#)
        let payloads = [
            #"{"a":"# + String(repeating: "[", count: 3000) + String(repeating: "]", count: 3000) + "}",
            #"{"exp":1e400,"nbf":-1e400}"#, #"{"exp":18446744073709551616}"#, #"{"iat":null}"#, "[]", "null", #""x""#,
        ]
        var tokens = payloads.map { "\(header).\(b64($0)).c2ln" }
        tokens += [".", "..", "...", "a.b.c", "\(header)..", "\(header).\(b64("{}")).", String(repeating: "A", count: 20_000)]
        tokens += [b64(#"{"alg":["HS256"]}"#) + ".e30.c2ln", b64(#"{"alg":"HS256","kid":7}"#) + ".e30.c2ln"]
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCabc012-_.=+/ ")
        for _ in 0..<200 {
            tokens.append(String((0..<Int.random(in: 1...120, using: &generator)).map { _ in alphabet.randomElement(using: &generator) ?? "." }))
        }
        for token in tokens {
            let outcome = await Self.outcome(auth, Self.context(authorization: "Bearer \(token)"))
            #expect(outcome.hasPrefix("JWT_"), "\(token.prefix(80)): \(outcome)")
        }
    }
}
