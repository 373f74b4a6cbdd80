import Foundation
import JWTKit
import Kratos
import Synchronization

/// A key that signs or verifies tokens with one algorithm: a shared secret (HS256 unless told) or
/// a PEM key (RSA, ECDSA, EdDSA), optionally named by a key id (`kid`).
///
/// ```swift
/// let shared = try JWTKey.hmac(secret)                             // HS256, 32 bytes or more
/// let rsa = try JWTKey.rsa(pem: publicPEM, kid: "2026-12")          // RS256
/// let ec = try JWTKey.ecdsa(pem: privatePEM)                        // ES256/384/512 by curve
/// ```
///
/// A private key verifies as well as signs; a public key only verifies.
public struct JWTKey: Sendable {
    /// The HMAC algorithms.
    public enum HMACAlgorithm: String, Sendable, CaseIterable {
        case hs256 = "HS256", hs384 = "HS384", hs512 = "HS512"
    }

    /// The RSA algorithms: PKCS #1 v1.5 (`RS…`) and PSS (`PS…`).
    public enum RSAAlgorithm: String, Sendable, CaseIterable {
        case rs256 = "RS256", rs384 = "RS384", rs512 = "RS512"
        case ps256 = "PS256", ps384 = "PS384", ps512 = "PS512"
    }

    /// Every `alg` a key can have (`none` is not one).
    static let supportedAlgorithms: Set<String> = Set(HMACAlgorithm.allCases.map(\.rawValue) + RSAAlgorithm.allCases.map(\.rawValue)
        + ["ES256", "ES384", "ES512", "EdDSA"])

    /// The JWS name of the algorithm, as tokens carry it in `alg`: `HS256`, `RS256`, `ES256`, `EdDSA`, …
    public let algorithm: String
    /// The key id tokens name the key by, if any.
    public let kid: String?
    /// Adds the key to an empty jwt-kit key collection.
    private let install: @Sendable (JWTKeyCollection) async throws -> Void
    private let prepared = Prepared()

    init(algorithm: String, kid: String?, install: @escaping @Sendable (JWTKeyCollection) async throws -> Void) {
        self.algorithm = algorithm
        self.kid = kid
        self.install = install
    }

    /// A shared secret (HS256 unless told): the same key signs and verifies.
    /// - Throws: 500 `JWT_KEY_INVALID` when the secret is shorter than the hash (32 bytes for
    ///   HS256, 48 for HS384, 64 for HS512), as RFC 7518 §3.2 requires.
    public static func hmac(_ secret: String, algorithm: HMACAlgorithm = .hs256, kid: String? = nil) throws -> JWTKey {
        try hmac(bytes: Array(secret.utf8), algorithm: algorithm, kid: kid)
    }

    /// A shared secret given as bytes.
    /// - Throws: 500 `JWT_KEY_INVALID` when the secret is shorter than the hash.
    public static func hmac(bytes secret: [UInt8], algorithm: HMACAlgorithm = .hs256, kid: String? = nil) throws -> JWTKey {
        let (digest, size): (DigestAlgorithm, Int) = switch algorithm {
        case .hs256: (.sha256, 32)
        case .hs384: (.sha384, 48)
        case .hs512: (.sha512, 64)
        }
        guard secret.count >= size else {
            throw KratosError(code: 500, reason: "JWT_KEY_INVALID",
                              message: "an \(algorithm.rawValue) secret must be at least \(size) bytes, not \(secret.count)")
        }
        let key = HMACKey(from: secret)
        return JWTKey(algorithm: algorithm.rawValue, kid: kid) { await $0.add(hmac: key, digestAlgorithm: digest) }
    }

    /// An RSA key (2048 bits or more) from PEM: a public key (`BEGIN PUBLIC KEY`), a certificate,
    /// or a private key (which can also sign).
    /// - Throws: 500 `JWT_KEY_INVALID` when the PEM holds no RSA key.
    public static func rsa(pem: String, algorithm: RSAAlgorithm = .rs256, kid: String? = nil) throws -> JWTKey {
        let key: any RSAKey
        do {
            if pem.contains("PRIVATE KEY") {
                key = try Insecure.RSA.PrivateKey(pem: pem)
            } else if pem.contains("CERTIFICATE") {
                key = try Insecure.RSA.PublicKey(certificatePEM: pem)
            } else {
                key = try Insecure.RSA.PublicKey(pem: pem)
            }
        } catch {
            throw KratosError.invalidKey("RSA", cause: error)
        }
        let digest: DigestAlgorithm = switch algorithm {
        case .rs256, .ps256: .sha256
        case .rs384, .ps384: .sha384
        case .rs512, .ps512: .sha512
        }
        let pss = algorithm.rawValue.hasPrefix("PS")
        return JWTKey(algorithm: algorithm.rawValue, kid: kid) { collection in
            if pss {
                await collection.add(pss: key, digestAlgorithm: digest)
            } else {
                await collection.add(rsa: key, digestAlgorithm: digest)
            }
        }
    }

    /// An ECDSA key from PEM, public or private; the curve gives the algorithm: P-256 ES256,
    /// P-384 ES384, P-521 ES512.
    /// - Throws: 500 `JWT_KEY_INVALID` when the PEM holds no key on those curves.
    public static func ecdsa(pem: String, kid: String? = nil) throws -> JWTKey {
        let isPrivate = pem.contains("PRIVATE KEY")
        func attempt<Key: ECDSAKey>(_ make: (String) throws -> Key, _ name: String) -> JWTKey? {
            guard let key = try? make(pem) else { return nil }
            return JWTKey(algorithm: name, kid: kid) { await $0.add(ecdsa: key) }
        }
        let key = isPrivate
            ? attempt(ES256PrivateKey.init(pem:), "ES256") ?? attempt(ES384PrivateKey.init(pem:), "ES384")
                ?? attempt(ES512PrivateKey.init(pem:), "ES512")
            : attempt(ES256PublicKey.init(pem:), "ES256") ?? attempt(ES384PublicKey.init(pem:), "ES384")
                ?? attempt(ES512PublicKey.init(pem:), "ES512")
        guard let key else { throw KratosError.invalidKey("ECDSA (P-256, P-384 or P-521)", cause: nil) }
        return key
    }

    /// An Ed25519 key from PEM, public or private (`EdDSA`).
    /// - Throws: 500 `JWT_KEY_INVALID` when the PEM holds no Ed25519 key.
    public static func eddsa(pem: String, kid: String? = nil) throws -> JWTKey {
        do {
            if pem.contains("PRIVATE KEY") {
                let key = try EdDSA.PrivateKey(pem: pem)
                return JWTKey(algorithm: "EdDSA", kid: kid) { await $0.add(eddsa: key) }
            }
            let key = try EdDSA.PublicKey(pem: pem)
            return JWTKey(algorithm: "EdDSA", kid: kid) { await $0.add(eddsa: key) }
        } catch {
            throw KratosError.invalidKey("Ed25519", cause: error)
        }
    }

    /// The jwt-kit collection holding this key alone, made once.
    func collection() async throws -> JWTKeyCollection {
        if let ready = prepared.collection.withLock({ $0 }) { return ready }
        let collection = JWTKeyCollection()
        try await install(collection)
        prepared.collection.withLock { $0 = collection }
        return collection
    }

    /// Where ``collection()`` keeps its result (two tasks racing both make an equal one).
    private final class Prepared: Sendable {
        let collection = Mutex<JWTKeyCollection?>(nil)
    }
}

extension KratosError {
    /// 500 `JWT_KEY_INVALID`: a key given to the JWT middleware that cannot be used.
    static func invalidKey(_ kind: String, cause: (any Error)?) -> KratosError {
        KratosError(code: 500, reason: "JWT_KEY_INVALID", message: "the PEM holds no usable \(kind) key", cause: cause)
    }
}
