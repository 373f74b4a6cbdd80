import Foundation
import Kratos
import Logging

/// Server middleware that lets a request through only with a valid JWT (go-kratos's
/// `auth/jwt.Server`), the same on both transports: the token comes from
/// `Authorization: Bearer <token>` over HTTP and the `authorization` metadata over gRPC.
///
/// HS256 with a shared secret unless told otherwise; RS, PS, ES and EdDSA keys from PEM; or a
/// JWKS from a file or URL (``JWTKeySet``). `exp`, `nbf` and `iat` are checked with
/// ``Configuration/leeway``. The verified claims are in the context for later middleware and the
/// handler (``Kratos/RequestContext/jwtClaims``). A refused request is answered 401 with a
/// ``JWTFailure`` reason (gRPC UNAUTHENTICATED), never a 500; the token is never logged.
///
/// ```swift
/// let server = KratosHTTPServer(.init(port: 8000), middleware: [
///     Recovery(),
///     Selective(except: ["/helloworld.v1.Greeter/SayHello"], try JWTAuth(secret: secret)),
/// ])
/// ```
public struct JWTAuth: Middleware {
    public struct Configuration: Sendable {
        /// The keys tokens are verified with.
        public var keys: JWTKeySet
        /// The `alg` values accepted, e.g. `["RS256"]`; `nil`: any of the keys' algorithms.
        /// `none` is never accepted, and a token's `alg` must be its key's in any case.
        public var algorithms: Set<String>?
        /// How far `exp`, `nbf` and `iat` may be off, for clock skew between issuer and server.
        public var leeway: Duration
        /// Refuse tokens without `exp` (`JWT_CLAIMS_INVALID`).
        public var requireExpiration: Bool
        /// When set, `iss` must be this.
        public var issuer: String?
        /// When set, `aud` must name this.
        public var audience: String?

        public init(keys: JWTKeySet, algorithms: Set<String>? = nil, leeway: Duration = .zero, requireExpiration: Bool = false,
                    issuer: String? = nil, audience: String? = nil) {
            self.keys = keys
            self.algorithms = algorithms
            self.leeway = leeway
            self.requireExpiration = requireExpiration
            self.issuer = issuer
            self.audience = audience
        }
    }

    public let configuration: Configuration
    private let verifier: TokenVerifier

    public init(_ configuration: Configuration) {
        self.configuration = configuration
        verifier = TokenVerifier(configuration: configuration)
    }

    /// Tokens signed with `secret`, HS256 unless told.
    /// - Throws: 500 `JWT_KEY_INVALID` when the secret is shorter than the hash (32 bytes for HS256).
    public init(secret: String, algorithm: JWTKey.HMACAlgorithm = .hs256, leeway: Duration = .zero) throws {
        self.init(Configuration(keys: [try .hmac(secret, algorithm: algorithm)], leeway: leeway))
    }

    /// Tokens signed by one of `keys`.
    public init(keys: JWTKeySet, leeway: Duration = .zero) {
        self.init(Configuration(keys: keys, leeway: leeway))
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        let claims: JWTClaims
        do throws(KratosError) {
            guard let token = Self.bearerToken(in: context.requestHeaders) else { throw JWTFailure.tokenMissing.error }
            claims = try await verifier.verify(token, logger: context.logger)
        } catch {
            context.logger.debug("JWT refused", metadata: [
                "kind": "\(context.kind.rawValue)", "operation": "\(context.operation)", "reason": "\(error.reason)",
            ])
            throw error
        }
        context[JWTClaims.contextKey] = claims
        return try await next(request, context)
    }

    /// The token of an `Authorization: Bearer <token>` header (any case of `Bearer`), if any.
    public static func bearerToken(in headers: any HeaderFields) -> String? {
        guard let value = headers.first("authorization") else { return nil }
        let trimmed = value.drop { $0 == " " }
        guard let space = trimmed.firstIndex(of: " "), trimmed[..<space].lowercased() == "bearer" else { return nil }
        let token = trimmed[space...].trimmingCharacters(in: .whitespaces)
        return token.isEmpty ? nil : token
    }
}
