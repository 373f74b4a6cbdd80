import Foundation
import Kratos
import Logging

/// The keys ``JWTAuth`` verifies tokens with: fixed keys, or a JSON Web Key Set from a file or a
/// URL, read again periodically and when a token names a key id the set does not have (at most
/// once per `refetchInterval`), so a key rotation at the issuer is picked up without a restart.
///
/// ```swift
/// JWTKeySet([try .hmac(secret)])
/// JWTKeySet.jwks(url: URL(string: "https://auth.example.com/.well-known/jwks.json")!)
/// JWTKeySet.jwks(file: "/etc/service/jwks.json", refreshInterval: .seconds(60))
/// ```
///
/// A read that is due is made by the request that finds it due, and requests arriving meanwhile
/// wait for the same read (bounded by the fetch's timeout). A JWKS that cannot be read keeps the
/// keys read before in use (a warning is logged through the request's logger) and is tried again
/// after `refetchInterval`; until a first read succeeds, every token's key is unknown.
public struct JWTKeySet: Sendable, ExpressibleByArrayLiteral {
    let store: KeyStore

    /// Fixed keys.
    public init(_ keys: [JWTKey]) {
        store = KeyStore(origin: "keys", refreshInterval: nil, refetchInterval: nil) { _ in keys }
    }

    public init(arrayLiteral keys: JWTKey...) {
        self.init(keys)
    }

    /// A JWKS file, read on first use and again every `refreshInterval`, or on an unknown key id
    /// at most once per `refetchInterval`.
    public static func jwks(file path: String, refreshInterval: Duration = .seconds(300),
                            refetchInterval: Duration = .seconds(5)) -> JWTKeySet {
        JWTKeySet(store: KeyStore(origin: path, refreshInterval: refreshInterval, refetchInterval: refetchInterval) { logger in
            try await JWKSDocument.keys(from: JWKSDocument.read(file: path), origin: path, logger: logger)
        })
    }

    /// A JWKS at a URL (`https://`, `http://` or `file://`), fetched on first use and again every
    /// `refreshInterval`, or on an unknown key id at most once per `refetchInterval`.
    /// - Parameter fetch: gets the document; default Foundation's URLSession with `timeout`.
    public static func jwks(url: URL, refreshInterval: Duration = .seconds(300), refetchInterval: Duration = .seconds(5),
                            timeout: Duration = .seconds(5),
                            fetch: (@Sendable (URL) async throws -> Data)? = nil) -> JWTKeySet {
        let origin = url.absoluteString
        return JWTKeySet(store: KeyStore(origin: origin, refreshInterval: refreshInterval, refetchInterval: refetchInterval) { logger in
            let data = if let fetch { try await fetch(url) } else { try await JWKSDocument.fetch(url: url, timeout: timeout) }
            return try await JWKSDocument.keys(from: data, origin: origin, logger: logger)
        })
    }

    init(store: KeyStore) {
        self.store = store
    }

    /// Reads the keys again now (a JWKS from its file or URL).
    /// - Throws: what reading failed with; the keys read before stay in use.
    public func refresh(logger: Logger) async throws {
        try await store.refresh(logger: logger)
    }
}

/// The keys in use and when to read them again: at first use, when `refreshInterval` has passed,
/// and when a token names an unknown kid if `refetchInterval` has passed since the last read.
/// Concurrent reads are one.
actor KeyStore {
    private let origin: String
    private let refreshInterval: Duration?
    private let refetchInterval: Duration?
    private let load: @Sendable (Logger) async throws -> [JWTKey]
    private var keys: [JWTKey] = []
    private var loaded = false
    private var nextRefresh: ContinuousClock.Instant?
    private var lastRead: ContinuousClock.Instant?
    private var reading: Task<Result<Void, any Error>, Never>?

    init(origin: String, refreshInterval: Duration?, refetchInterval: Duration?,
         load: @escaping @Sendable (Logger) async throws -> [JWTKey]) {
        self.origin = origin
        self.refreshInterval = refreshInterval
        self.refetchInterval = refetchInterval
        self.load = load
    }

    /// The keys, read first when due.
    func current(logger: Logger) async -> [JWTKey] {
        let due = !loaded || nextRefresh.map { ContinuousClock.now >= $0 } == true
        if due { try? await refresh(logger: logger) }
        return keys
    }

    /// The keys after a token named `kid`, which none of them has: read again when allowed.
    func refetch(missing kid: String, logger: Logger) async -> [JWTKey] {
        guard let refetchInterval else { return keys }
        if reading == nil, let lastRead, ContinuousClock.now - lastRead < refetchInterval { return keys }
        logger.debug("JWT key id unknown; reading the key set again", metadata: ["jwks": "\(origin)", "kid": "\(kid)"])
        try? await refresh(logger: logger)
        return keys
    }

    /// Reads the keys (or waits for the read under way).
    func refresh(logger: Logger) async throws {
        if let reading {
            try await reading.value.get()
            return
        }
        let task = Task { await self.read(logger: logger) }
        reading = task
        let result = await task.value
        reading = nil
        try result.get()
    }

    private func read(logger: Logger) async -> Result<Void, any Error> {
        lastRead = .now
        do {
            let fresh = try await load(logger)
            keys = fresh
            loaded = true
            nextRefresh = refreshInterval.map { .now + $0 }
            logger.debug("JWT keys read", metadata: ["jwks": "\(origin)", "kids": "\(Set(fresh.compactMap(\.kid)).sorted())"])
            return .success(())
        } catch {
            loaded = true
            // Try again soon, not on every request.
            nextRefresh = .now + min(refetchInterval ?? .seconds(5), refreshInterval ?? .seconds(5))
            logger.warning("JWT key set could not be read; the keys read before stay in use",
                           metadata: ["jwks": "\(origin)", "error": "\(error)"])
            return .failure(error)
        }
    }
}
