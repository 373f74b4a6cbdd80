import Foundation
import JWTKit
import Kratos
import Logging

/// Checks one compact JWS token, step by step, each failing step its own ``JWTFailure``:
/// shape → header (`alg`, `kid`) → payload → algorithm → key → signature (jwt-kit) → time claims
/// → required claims. Messages name at most the header's `alg` or `kid` (shortened), never the
/// token.
struct TokenVerifier: Sendable {
    let configuration: JWTAuth.Configuration

    /// The longest token read; a longer one is malformed.
    static let maxLength = 16 * 1024

    func verify(_ token: String, logger: Logger) async throws(KratosError) -> JWTClaims {
        guard token.utf8.count <= Self.maxLength else { throw JWTFailure.tokenMalformed.error("JWT token is too long") }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw JWTFailure.tokenMalformed.error("JWT token is not three dot-separated parts")
        }
        guard let headerData = Self.base64URLDecoded(parts[0]), let header = try? JSONDecoder().decode(Header.self, from: headerData) else {
            throw JWTFailure.tokenMalformed.error("JWT token's header is not a base64url JSON object")
        }
        guard let alg = header.alg, !alg.isEmpty else { throw JWTFailure.tokenMalformed.error("JWT token's header has no alg") }
        // RFC 7515 §4.1.11: extensions marked critical that we do not understand (we understand none).
        guard header.crit?.isEmpty ?? true else {
            throw JWTFailure.tokenMalformed.error("JWT token's header has critical extensions, which are not supported")
        }
        guard let payloadData = Self.base64URLDecoded(parts[1]), (try? JSONDecoder().decode(JWTClaims.self, from: payloadData)) != nil else {
            throw JWTFailure.tokenMalformed.error("JWT token's payload is not a base64url JSON object")
        }
        guard JWTKey.supportedAlgorithms.contains(alg), configuration.algorithms?.contains(alg) ?? true else {
            throw JWTFailure.algorithmUnsupported.error("JWT signing method \(Self.short(alg)) is not accepted")
        }
        guard Self.base64URLDecoded(parts[2]) != nil else {
            throw JWTFailure.tokenMalformed.error("JWT token's signature is not base64url")
        }

        let candidates = try await keys(kid: header.kid, logger: logger)
        let usable = candidates.filter { $0.algorithm == alg }
        guard !usable.isEmpty else {
            throw JWTFailure.algorithmUnsupported.error("JWT signing method \(Self.short(alg)) is not the key's")
        }
        let claims = try await verifySignature(token, with: usable, logger: logger)
        try check(claims)
        return claims
    }

    /// The keys that may have signed a token naming `kid`: those with that kid, else the keys
    /// without one; any key when the token names none.
    private func keys(kid: String?, logger: Logger) async throws(KratosError) -> [JWTKey] {
        let store = configuration.keys.store
        var keys = await store.current(logger: logger)
        guard let kid else {
            guard !keys.isEmpty else { throw JWTFailure.keyUnknown.error("no JWT keys are available") }
            return keys
        }
        if !keys.contains(where: { $0.kid == kid }) {
            keys = await store.refetch(missing: kid, logger: logger)
        }
        let named = keys.filter { $0.kid == kid }
        if !named.isEmpty { return named }
        let anonymous = keys.filter { $0.kid == nil }
        guard !anonymous.isEmpty else { throw JWTFailure.keyUnknown.error("no JWT key has kid \(Self.short(kid))") }
        return anonymous
    }

    /// The claims, once one of `keys` verifies the signature.
    private func verifySignature(_ token: String, with keys: [JWTKey], logger: Logger) async throws(KratosError) -> JWTClaims {
        for key in keys {
            do {
                return try await key.collection().verify(token, as: JWTClaims.self)
            } catch let error as JWTError where error.errorType == .malformedToken {
                throw JWTFailure.tokenMalformed.error
            } catch {
                // Anything else (a mismatch, a signature of the wrong size) is this key's "no".
                continue
            }
        }
        throw JWTFailure.signatureInvalid.error
    }

    /// `exp`, `nbf`, `iat` with the leeway, then the claims the configuration requires.
    func check(_ claims: JWTClaims, now: Date = Date()) throws(KratosError) {
        let leeway = configuration.leeway.inSeconds
        let time = now.timeIntervalSince1970
        for name in ["exp", "nbf", "iat"] {
            if let value = claims[name], value.numberValue == nil {
                throw JWTFailure.tokenMalformed.error("JWT token's \(name) is not a number")
            }
        }
        if let exp = claims["exp"]?.numberValue, time >= exp + leeway {
            throw JWTFailure.tokenExpired.error
        }
        if let nbf = claims["nbf"]?.numberValue, time + leeway < nbf {
            throw JWTFailure.tokenNotYetValid.error("JWT token is not valid yet (nbf)")
        }
        if let iat = claims["iat"]?.numberValue, time + leeway < iat {
            throw JWTFailure.tokenNotYetValid.error("JWT token is issued in the future (iat)")
        }
        if configuration.requireExpiration, claims["exp"] == nil {
            throw JWTFailure.claimsInvalid.error("JWT token has no exp")
        }
        if let issuer = configuration.issuer, claims.issuer != issuer {
            throw JWTFailure.claimsInvalid.error("JWT token's iss is not \(issuer)")
        }
        if let audience = configuration.audience, !claims.audience.contains(audience) {
            throw JWTFailure.claimsInvalid.error("JWT token's aud does not name \(audience)")
        }
    }

    /// The parts of the header the checks read.
    struct Header: Decodable {
        let alg: String?
        let kid: String?
        let crit: [String]?
    }

    static func base64URLDecoded(_ text: Substring) -> Data? {
        var base64 = String(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        guard !base64.contains("=") else { return nil }
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }

    /// A value from the token for a message: at most 40 characters.
    static func short(_ value: String) -> String {
        value.count <= 40 ? "'\(value)'" : "'\(value.prefix(40))…'"
    }
}
