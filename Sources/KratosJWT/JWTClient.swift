import Foundation
import JWTKit
import Kratos

/// Client middleware that sends `authorization: Bearer <token>` with each call (go-kratos's
/// `auth/jwt.Client`), on the HTTP and gRPC clients alike: a token it signs per call, or the
/// token of the request the caller is serving, forwarded.
///
/// ```swift
/// // A new token per call, valid for a minute.
/// KratosGRPCClient(.init(endpoint: "grpc://127.0.0.1:9000"),
///                  middleware: [JWTClient(key: try .hmac(secret)) { _ in ["sub": "billing"] }])
/// // The caller's own token, passed on to the service it calls.
/// KratosHTTPClient(.init(endpoint: "http://127.0.0.1:8000"), middleware: [JWTClient.forwarding])
/// ```
public struct JWTClient: Middleware {
    private enum Token: Sendable {
        case sign(JWTKey, lifetime: Duration?, claims: @Sendable (RequestContext) async throws -> JWTClaims)
        case forward
    }

    private let token: Token

    /// Signs a token per call with `key` (its `kid` in the header when it has one).
    /// - Parameters:
    ///   - lifetime: `iat` and `exp` (now + lifetime) are added when `claims` sets none;
    ///     `nil` adds neither.
    ///   - claims: the claims of the call's token, from the call's context.
    public init(key: JWTKey, lifetime: Duration? = .seconds(60),
                claims: @escaping @Sendable (RequestContext) async throws -> JWTClaims = { _ in [:] }) {
        token = .sign(key, lifetime: lifetime, claims: claims)
    }

    private init(forwarding: Void) {
        token = .forward
    }

    /// Forwards the bearer token of the request the calling task serves
    /// (`RequestContext.current`); a call made outside a request, or from one without a token,
    /// goes without.
    public static let forwarding = JWTClient(forwarding: ())

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        switch token {
        case .forward:
            if let incoming = RequestContext.current, let bearer = JWTAuth.bearerToken(in: incoming.requestHeaders) {
                context.setOutgoingHeader("authorization", "Bearer " + bearer)
            }
        case .sign(let key, let lifetime, let makeClaims):
            var claims = try await makeClaims(context)
            if let lifetime, claims["exp"] == nil {
                let now = Date().timeIntervalSince1970
                if claims["iat"] == nil { claims["iat"] = .integer(Int64(now)) }
                // Capped far in the future, so no lifetime overflows the conversion.
                claims["exp"] = .integer(Int64(min(now + max(lifetime.inSeconds, 0), 1e15)))
            }
            var header = JWTHeader()
            header.kid = key.kid
            let signed: String
            do {
                signed = try await key.collection().sign(claims, header: header)
            } catch {
                throw JWTFailure.signingFailed.error("JWT token could not be signed with the \(key.algorithm) key").with(cause: error)
            }
            context.setOutgoingHeader("authorization", "Bearer " + signed)
        }
        return try await next(request, context)
    }
}
