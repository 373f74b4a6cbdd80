import Kratos
import Logging

/// Configuration kept in etcd: one key, or every key under a prefix, each a YAML or JSON
/// document by its extension (`.yaml`, `.yml`, `.json`; keys with another extension are
/// ignored), merged in key order — go-kratos's `contrib/config/etcd`.
///
/// ``load()`` returns what was last read; ``changes()`` watches etcd, reads the keys again on
/// each change and then yields, so a ``Config`` running with this source reloads within moments
/// of an `etcdctl put`. A deleted key leaves an empty tree: the other sources' values show through.
///
/// ```swift
/// let remote = try await EtcdConfigSource(client: etcd, key: "/configs/app.yaml")
/// let config = Config(sources: [FileSource("configs"), remote])
/// ```
public final class EtcdConfigSource: ConfigSource {
    public let client: EtcdClient
    public let key: String
    public let prefix: Bool
    let logger: Logger
    private let state: LockedState<Snapshot>

    /// The pairs last read and the revision they were read at.
    private struct Snapshot: Sendable {
        var pairs: [EtcdClient.KeyValue]
        var revision: Int64
    }

    /// Reads `key` (or the keys under it with `prefix`) once, so the first ``load()`` has them.
    public init(client: EtcdClient, key: String, prefix: Bool = false, logger: Logger = Logger(label: "kratos.config.etcd")) async throws {
        self.client = client
        self.key = key
        self.prefix = prefix
        self.logger = logger
        let result = try await client.range(key, prefix: prefix)
        state = LockedState(Snapshot(pairs: result.keyValues, revision: result.revision))
    }

    public var name: String { prefix ? "etcd \(key)*" : "etcd \(key)" }

    public func load() throws -> ConfigValue {
        var tree = ConfigValue.map([:])
        for pair in state.value.pairs {
            let format = pair.key.split(separator: ".").last.map { $0.lowercased() } ?? ""
            guard ["yaml", "yml", "json"].contains(format), pair.key.contains(".") else { continue }
            let value = try ConfigValue.parse(document: pair.valueString, source: "etcd \(pair.key)")
            if case .null = value { continue }
            guard case .map = value else {
                throw ConfigError.invalidSource(name: "etcd \(pair.key)", reason: "the top level must be a map")
            }
            tree = tree.merging(value)
        }
        return tree
    }

    /// Yields after each change to the watched keys, once they have been read again.
    public func changes() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream()
        let task = Task { [self] in
            var backoff = Backoff(maximum: client.configuration.maxReconnectDelay)
            var failing = false
            while !Task.isCancelled, !client.isClosed {
                do {
                    // Each change, and each re-created watch (etcd may have lost its data), is read.
                    for try await _ in client.watch(key, prefix: prefix, fromRevision: state.value.revision + 1) {
                        try await refresh()
                        continuation.yield()
                        backoff.reset()
                        failing = false
                    }
                } catch {
                    if Task.isCancelled || client.isClosed { break }
                    // Said once per outage, not at every retry.
                    logger.log(level: failing ? .debug : .warning, "watching etcd config failed; trying again",
                               metadata: ["config.source": "\(name)", "etcd.error": "\(error)"])
                    failing = true
                    try? await backoff.wait()
                    if (try? await refresh()) != nil { continuation.yield() }
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// Reads the keys again.
    private func refresh() async throws {
        let result = try await client.range(key, prefix: prefix)
        state.withLock { $0 = Snapshot(pairs: result.keyValues, revision: result.revision) }
    }
}
