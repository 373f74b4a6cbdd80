import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JWTKit
import Kratos
import Logging

/// Reading a JSON Web Key Set (RFC 7517) into keys, and fetching one from a file or a URL.
enum JWKSDocument {
    /// The signing keys of a JWKS document. Keys without `kid`, encryption keys (`"use":"enc"`),
    /// unknown key types and keys jwt-kit refuses are left out, each with a warning (naming its
    /// kid, never its material); a key without `alg` stands for every algorithm of its type
    /// (RSA: RS256…PS512; EC and OKP: the one its curve gives).
    static func keys(from data: Data, origin: String, logger: Logger) async throws -> [JWTKey] {
        let document: Document
        do {
            document = try JSONDecoder().decode(Document.self, from: data)
        } catch {
            throw JWKSError(message: "\(origin) is not a JWKS document: \(error)")
        }
        var keys: [JWTKey] = []
        for entry in document.keys {
            let skipped = { (why: String) in
                logger.warning("JWKS key left out", metadata: ["jwks": "\(origin)", "kid": "\(entry.kid ?? "-")", "why": "\(why)"])
            }
            guard let kid = entry.kid, !kid.isEmpty else { skipped("no kid"); continue }
            guard entry.use != "enc" else { continue }
            guard let jwk = entry.jwk else { skipped("unsupported key type \(entry.kty ?? "-")"); continue }
            let algorithms = entry.alg.map { [$0] } ?? Self.algorithms(kty: entry.kty, crv: entry.crv)
            guard !algorithms.isEmpty else { skipped("no signing algorithm for this key type"); continue }
            for name in algorithms {
                guard let algorithm = JWK.Algorithm(rawValue: name), algorithm != .rsaOAEP else {
                    skipped("unsupported algorithm \(name)")
                    continue
                }
                var copy = jwk
                copy.algorithm = algorithm
                let one = copy
                let key = JWTKey(algorithm: name, kid: kid) { try await $0.add(jwk: one) }
                do {
                    // A signer for the algorithm must come out of it, or every token would fail later.
                    _ = try await key.collection().getKey(alg: name)
                    keys.append(key)
                } catch {
                    skipped("not a usable \(name) key")
                }
            }
        }
        return keys
    }

    /// The algorithms a key without `alg` verifies, by its type and curve.
    static func algorithms(kty: String?, crv: String?) -> [String] {
        switch (kty, crv) {
        case ("RSA", _): JWTKey.RSAAlgorithm.allCases.map(\.rawValue)
        case ("EC", "P-256"): ["ES256"]
        case ("EC", "P-384"): ["ES384"]
        case ("EC", "P-521"): ["ES512"]
        case ("OKP", "Ed25519"): ["EdDSA"]
        default: []
        }
    }

    struct Document: Decodable {
        let keys: [Entry]
    }

    /// One key of the set: what we read of it ourselves, and jwt-kit's form when it has one.
    struct Entry: Decodable {
        let kid: String?
        let kty: String?
        let crv: String?
        let alg: String?
        let use: String?
        let jwk: JWK?

        enum CodingKeys: String, CodingKey {
            case kid, kty, crv, alg, use
        }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            kid = try? container.decodeIfPresent(String.self, forKey: .kid)
            kty = try? container.decodeIfPresent(String.self, forKey: .kty)
            crv = try? container.decodeIfPresent(String.self, forKey: .crv)
            alg = try? container.decodeIfPresent(String.self, forKey: .alg)
            use = try? container.decodeIfPresent(String.self, forKey: .use)
            jwk = try? JWK(from: decoder)
        }
    }

    /// The document at `file` (a path).
    static func read(file path: String) async throws -> Data {
        do {
            return try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw JWKSError(message: "cannot read \(path): \(error.localizedDescription)")
        }
    }

    /// The document at `url` (`https://` or `http://`; `file://` reads a file), through
    /// Foundation's URLSession.
    static func fetch(url: URL, timeout: Duration) async throws -> Data {
        if url.isFileURL { return try await read(file: url.path) }
        var request = URLRequest(url: url, timeoutInterval: timeout.inSeconds)
        request.setValue("application/json", forHTTPHeaderField: "accept")
        let (data, response): (Data, URLResponse)
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw JWKSError(message: "cannot fetch \(url): \(error.localizedDescription)")
        }
        if let status = (response as? HTTPURLResponse)?.statusCode, status != 200 {
            throw JWKSError(message: "\(url) answered \(status)")
        }
        return data
    }
}

extension Duration {
    /// The duration in seconds, fractions included.
    var inSeconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}

/// A JWKS that could not be read or parsed; the keys read before stay in use.
struct JWKSError: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
