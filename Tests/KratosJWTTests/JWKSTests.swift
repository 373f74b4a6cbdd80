import Foundation
import Kratos
import KratosHTTP
import KratosJWT
import KratosTestSupport
import NIOCore
import NIOHTTP1
import Synchronization
import Testing

/// Key sets that change while the server runs: a JWKS file rewritten, and a JWKS served over HTTP
/// by an issuer, both rotated to new keys mid-test.
@Suite struct JWKSTests {
    /// GET /helloworld/jwks with the token; the reason of a refusal, "ok" for 200.
    static func outcome(_ endpoint: String, _ token: String) async throws -> String {
        let reply = try await curl("-H", "authorization: Bearer \(token)", endpoint + "/helloworld/jwks")
        if reply.status == 200 { return "ok" }
        return try reply.json()["reason"] as? String ?? "status \(reply.status)"
    }

    @Test func aRewrittenFileIsReadAgainWhenATokenNamesANewKid() async throws {
        try await withTokens { tokens in
            let file = tokens.file("jwks.json")
            try FileManager.default.copyItem(at: tokens.file("jwks-1.json"), to: file)
            let keys = JWTKeySet.jwks(file: file.path, refetchInterval: .zero)
            let server = loopbackServer(middleware: [Recovery(), JWTAuth(keys: keys)])
            try ClaimsGreeter().register(on: server)
            try await withServer(server) { endpoint in
                // k1 is RSA without "alg": RS256 and PS256 both verify; k2 is not in the set yet.
                #expect(try await Self.outcome(endpoint, tokens["k1_a"]) == "ok")
                #expect(try await Self.outcome(endpoint, tokens["k1_a_ps256"]) == "ok")
                #expect(try await Self.outcome(endpoint, tokens["k2"]) == "JWT_KEY_UNKNOWN")
                #expect(try await Self.outcome(endpoint, tokens["rs256"]) == "ok", "a token without kid, the set's one key")

                // Rotated: only k2 now.
                try Data(contentsOf: tokens.file("jwks-2.json")).write(to: file, options: .atomic)
                #expect(try await Self.outcome(endpoint, tokens["k2"]) == "ok")
                #expect(try await Self.outcome(endpoint, tokens["k1_a"]) == "JWT_KEY_UNKNOWN")
                // k2's alg is ES256: an HS256 token naming it (the secret as an HMAC key) is refused.
                #expect(try await Self.outcome(endpoint, tokens["k2_hs256"]) == "JWT_ALGORITHM_UNSUPPORTED")

                // A broken file keeps the keys read before.
                try Data("{not json".utf8).write(to: file, options: .atomic)
                #expect(try await Self.outcome(endpoint, tokens["k9"]) == "JWT_KEY_UNKNOWN")
                #expect(try await Self.outcome(endpoint, tokens["k2"]) == "ok")
            }
        }
    }

    /// The issuer's JWKS over HTTP: fetched once, read again when `refreshInterval` (2 s) has passed
    /// (not sooner for an unknown kid: `refetchInterval` limits that), so a new key under an old
    /// kid and a new kid are both picked up.
    @Test func aServedSetIsRefreshedPeriodicallyAndRefetchesAreLimited() async throws {
        try await withTokens { tokens in
            let document = Mutex(try Data(contentsOf: tokens.file("jwks-1.json")))
            let fetches = Atomic<Int>(0)
            let issuer = loopbackServer()
            try issuer.handle(.GET, "/.well-known/jwks.json") { _ in
                fetches.add(1, ordering: .relaxed)
                var headers = HTTPHeaders()
                headers.add(name: "content-type", value: "application/json")
                return HTTPResponse(status: .ok, headers: headers, body: ByteBuffer(bytes: document.withLock { $0 }))
            }
            try await withServer(issuer) { issuerEndpoint in
                let url = try #require(URL(string: issuerEndpoint + "/.well-known/jwks.json"))
                let keys = JWTKeySet.jwks(url: url, refreshInterval: .seconds(2), refetchInterval: .seconds(3600))
                let server = loopbackServer(middleware: [Recovery(), JWTAuth(keys: keys)])
                try ClaimsGreeter().register(on: server)
                try await withServer(server) { endpoint in
                    let start = ContinuousClock.now
                    #expect(try await Self.outcome(endpoint, tokens["k1_a"]) == "ok")
                    let read = ContinuousClock.now  // the set was fetched before this
                    #expect(try await Self.outcome(endpoint, tokens["k2"]) == "JWT_KEY_UNKNOWN")
                    #expect(try await Self.outcome(endpoint, tokens["k9"]) == "JWT_KEY_UNKNOWN")
                    #expect(fetches.load(ordering: .relaxed) == 1, "unknown kids fetched again within refetchInterval")

                    // Rotated at the issuer: k1 is key C now, and k2 is new.
                    document.withLock { $0 = (try? Data(contentsOf: tokens.file("jwks-3.json"))) ?? Data() }
                    #expect(try await Self.outcome(endpoint, tokens["k1_c"]) == "JWT_SIGNATURE_INVALID")
                    try #require(ContinuousClock.now - start < .seconds(2), "the machine is too slow for this test's timing")
                    try await Task.sleep(until: read + .milliseconds(2200))
                    #expect(try await Self.outcome(endpoint, tokens["k1_c"]) == "ok")
                    #expect(try await Self.outcome(endpoint, tokens["k2"]) == "ok")
                    #expect(try await Self.outcome(endpoint, tokens["k1_a"]) == "JWT_SIGNATURE_INVALID")
                    #expect(fetches.load(ordering: .relaxed) == 2)

                    // An explicit refresh reads at once.
                    try await keys.refresh(logger: quietLogger())
                    #expect(fetches.load(ordering: .relaxed) == 3)
                }
            }
        }
    }

    /// Twenty requests arriving while the set is first read wait for that one read (a `fetch` of
    /// our own, slow on purpose) and are all verified with it; a token whose alg no key can have
    /// makes no read.
    @Test func concurrentRequestsShareOneRead() async throws {
        try await withTokens { tokens in
            let fetches = Atomic<Int>(0)
            let document = try Data(contentsOf: tokens.file("jwks-3.json"))
            let url = try #require(URL(string: "https://issuer.invalid/jwks.json"))
            let keys = JWTKeySet.jwks(url: url, refetchInterval: .zero) { _ in
                fetches.add(1, ordering: .relaxed)
                try await Task.sleep(for: .milliseconds(300))
                return document
            }
            let auth = JWTAuth(keys: keys)
            let outcomes = try await withThrowingTaskGroup(of: String.self) { group in
                for index in 0..<20 {
                    group.addTask {
                        let context = RequestContext(kind: .http, endpoint: "http://127.0.0.1:1", operation: "/op",
                                                     requestHeaders: ["authorization": "Bearer \(tokens[index % 2 == 0 ? "k2" : "k1_c"])"] as Headers)
                        let reply = try await auth.handle("request", context: context) { _, context in context.jwtClaims?.subject ?? "-" }
                        return reply as? String ?? "?"
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes == Array(repeating: "alice", count: 20))
            #expect(fetches.load(ordering: .relaxed) == 1)

            // An unknown kid makes a read (refetchInterval is zero here), unless the alg is not one
            // any key could have.
            let header = Data(#"{"alg":"XYZ","kid":"k9"}"#.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
            let odd = RequestContext(kind: .http, endpoint: "http://127.0.0.1:1", operation: "/op",
                                     requestHeaders: ["authorization": "Bearer \(header).e30.c2ln"] as Headers)
            await #expect { _ = try await auth.handle("request", context: odd) { request, _ in request } } throws: {
                ($0 as? KratosError)?.reason == "JWT_ALGORITHM_UNSUPPORTED"
            }
            #expect(fetches.load(ordering: .relaxed) == 1)
            let unknown = RequestContext(kind: .http, endpoint: "http://127.0.0.1:1", operation: "/op",
                                         requestHeaders: ["authorization": "Bearer \(tokens["k9"])"] as Headers)
            await #expect { _ = try await auth.handle("request", context: unknown) { request, _ in request } } throws: {
                ($0 as? KratosError)?.reason == "JWT_KEY_UNKNOWN"
            }
            #expect(fetches.load(ordering: .relaxed) == 2)
        }
    }

    /// An issuer that cannot be reached: every token's key is unknown, a 401, never a 500.
    @Test func anUnreachableSetRefusesWith401() async throws {
        try await withTokens { tokens in
            let keys = JWTKeySet.jwks(url: try #require(URL(string: "http://127.0.0.1:9/jwks.json")), timeout: .seconds(2))
            let server = loopbackServer(timeout: .seconds(5), middleware: [Recovery(), JWTAuth(keys: keys)])
            try ClaimsGreeter().register(on: server)
            try await withServer(server) { endpoint in
                let named = try await Self.outcome(endpoint, tokens["k1_a"])
                let unnamed = try await Self.outcome(endpoint, tokens["rs256"])
                #expect(named == "JWT_KEY_UNKNOWN" && unnamed == "JWT_KEY_UNKNOWN")
            }
        }
    }
}
