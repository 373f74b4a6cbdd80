import Kratos

/// Why a token was refused, each a 401 `UNAUTHORIZED` ``KratosError`` (gRPC UNAUTHENTICATED)
/// with its own reason, so clients and logs can tell them apart.
///
/// ```swift
/// if error.is(JWTFailure.tokenExpired.error) { try await renew() }
/// ```
public enum JWTFailure: String, Sendable, CaseIterable {
    /// No `Authorization: Bearer …` header (gRPC `authorization` metadata), or another scheme.
    case tokenMissing = "JWT_TOKEN_MISSING"
    /// Not three base64url parts, a header or payload that is not a JSON object, no `alg`, or a
    /// registered time claim that is not a number.
    case tokenMalformed = "JWT_TOKEN_MALFORMED"
    /// `alg` is `none`, not one the middleware accepts, or not the one of the key it names.
    case algorithmUnsupported = "JWT_ALGORITHM_UNSUPPORTED"
    /// No key has the token's `kid` (after reading a JWKS again), or no key could be read.
    case keyUnknown = "JWT_KEY_UNKNOWN"
    /// The signature is not the key's.
    case signatureInvalid = "JWT_SIGNATURE_INVALID"
    /// `exp` has passed (beyond the leeway).
    case tokenExpired = "JWT_TOKEN_EXPIRED"
    /// `nbf` or `iat` is in the future (beyond the leeway).
    case tokenNotYetValid = "JWT_TOKEN_NOT_YET_VALID"
    /// A claim the middleware requires is missing or wrong: `exp`, `iss`, `aud`.
    case claimsInvalid = "JWT_CLAIMS_INVALID"
    /// Client side: the token could not be signed.
    case signingFailed = "JWT_SIGNING_FAILED"

    /// The error with the default message.
    public var error: KratosError { error(defaultMessage) }

    /// The error with `message`.
    public func error(_ message: String) -> KratosError {
        .unauthorized(rawValue, message)
    }

    var defaultMessage: String {
        switch self {
        case .tokenMissing: "JWT token is missing"
        case .tokenMalformed: "JWT token is malformed"
        case .algorithmUnsupported: "JWT signing method is not accepted"
        case .keyUnknown: "JWT token's key is unknown"
        case .signatureInvalid: "JWT token's signature is invalid"
        case .tokenExpired: "JWT token has expired"
        case .tokenNotYetValid: "JWT token is not valid yet"
        case .claimsInvalid: "JWT token's claims are not accepted"
        case .signingFailed: "JWT token could not be signed"
        }
    }
}
