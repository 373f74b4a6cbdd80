import Logging
import ServiceLifecycle
import Synchronization

/// Configuration merged from several sources, with placeholders, typed reads, decoding into
/// `Decodable` types, and live reload.
///
/// Later sources win in a deep merge (maps merge key by key; lists and scalars are replaced).
/// After the merge, `${a.b}` and `${a.b:default}` placeholders are resolved against the merged tree,
/// then against `environment` (the process's variables by their exact names, for twelve-factor
/// configs such as `addr: ${HTTP_ADDR:0.0.0.0:8000}`), then the default.
/// Each reload builds a complete new snapshot and swaps it in at once: readers see the old tree or
/// the new one, never a mix. A source that fails to reload (a malformed file mid-edit) keeps its
/// last good tree and the error is logged.
///
/// ```swift
/// let config = Config(sources: [FileSource("configs"), EnvironmentSource(prefixes: ["APP_"])])
/// try config.load()
/// let bootstrap = try config.decode(Bootstrap.self)
/// config.watch("server.http.timeout") { value in … }
/// ```
public final class Config: Service, Sendable {
    public let sources: [any ConfigSource]
    /// Variables placeholders fall back to when the merged tree lacks their key.
    public let environment: [String: String]
    let logger: Logger
    private let state: Mutex<State>

    private struct State {
        var trees: [ConfigValue?]
        var snapshot: ConfigValue = .map([:])
        var watchers: [(key: String, callback: @Sendable (ConfigValue?) -> Void)] = []
    }

    public init(sources: [any ConfigSource], environment: [String: String] = [:], logger: Logger = Logger(label: "kratos.config")) {
        self.sources = sources
        self.environment = environment
        self.logger = logger
        state = Mutex(State(trees: Array(repeating: nil, count: sources.count)))
    }

    /// Loads every source; throws the first failure (naming the source) and changes nothing then.
    public func load() throws {
        let trees = try sources.map { try $0.load() }
        let snapshot = try Self.resolve(trees, environment: environment)
        state.withLock {
            $0.trees = trees
            $0.snapshot = snapshot
        }
    }

    /// The whole resolved tree as it is now.
    public var snapshot: ConfigValue { state.withLock { $0.snapshot } }

    /// The value at `key` (dotted), or ``ConfigError/notFound(key:)``.
    public func value(_ key: String) throws -> ConfigValue {
        guard let value = snapshot[key] else { throw ConfigError.notFound(key: key) }
        return value
    }

    public func bool(_ key: String) throws -> Bool { try typed(key) { try $0.bool() } }
    public func int(_ key: String) throws -> Int64 { try typed(key) { try $0.int() } }
    public func double(_ key: String) throws -> Double { try typed(key) { try $0.double() } }
    public func string(_ key: String) throws -> String { try typed(key) { try $0.string() } }
    public func duration(_ key: String) throws -> Duration { try typed(key) { try $0.duration() } }

    private func typed<T>(_ key: String, _ read: (ConfigValue) throws -> T) throws -> T {
        do {
            return try read(try value(key))
        } catch let error as ConfigError {
            throw error.at(key)
        }
    }

    /// Decodes the tree at `key` (the whole tree by default) into `T`. Strings convert to numbers
    /// and bools as needed (environment values are strings), and `Duration` reads `"1s"`.
    public func decode<T: Decodable>(_ type: T.Type, at key: String = "") throws -> T {
        try ConfigDecoder().decode(type, from: try value(key))
    }

    /// Calls `callback` with the new value (nil when removed) whenever a reload changes `key`.
    public func watch(_ key: String, _ callback: @escaping @Sendable (ConfigValue?) -> Void) {
        state.withLock { $0.watchers.append((key, callback)) }
    }

    /// The new values of `key` after each reload that changes it.
    public func changes(of key: String) -> AsyncStream<ConfigValue?> {
        let (stream, continuation) = AsyncStream<ConfigValue?>.makeStream()
        watch(key) { continuation.yield($0) }
        return stream
    }

    /// Watches every source and reloads on change until cancelled or shut down gracefully.
    public func run() async throws {
        // Watch first, then catch up with anything that changed since `load()`: no edit falls
        // between the two.
        let streams = sources.map { $0.changes() }
        for index in sources.indices {
            reload(source: index)
        }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                for (index, stream) in streams.enumerated() {
                    group.addTask {
                        for await _ in stream {
                            self.reload(source: index)
                        }
                    }
                }
            }
        }
    }

    /// Reloads one source and swaps in the new snapshot; on failure keeps the last good one.
    /// - Returns: whether a new snapshot was installed.
    @discardableResult
    public func reload(source index: Int) -> Bool {
        let tree: ConfigValue
        do {
            tree = try sources[index].load()
        } catch {
            logger.error("config reload failed; keeping the last good configuration",
                         metadata: ["source": "\(sources[index].name)", "error": "\(error)"])
            return false
        }
        var trees = state.withLock { $0.trees }
        trees[index] = tree
        let snapshot: ConfigValue
        do {
            snapshot = try Self.resolve(trees, environment: environment)
        } catch {
            logger.error("config reload failed; keeping the last good configuration",
                         metadata: ["source": "\(sources[index].name)", "error": "\(error)"])
            return false
        }
        let (old, watchers) = state.withLock { state in
            let old = state.snapshot
            state.trees = trees
            state.snapshot = snapshot
            return (old, state.watchers)
        }
        for (key, callback) in watchers where old[key] != snapshot[key] {
            callback(snapshot[key])
        }
        return true
    }

    /// Merges `trees` in order and resolves placeholders.
    static func resolve(_ trees: [ConfigValue?], environment: [String: String] = [:]) throws -> ConfigValue {
        let merged = trees.compactMap { $0 }.reduce(ConfigValue.map([:])) { $0.merging($1) }
        return try Placeholders(root: merged, environment: environment).resolve(merged, path: "")
    }
}

/// `${key}` and `${key:default}` in string values, resolved against the merged tree, then the
/// environment's variable of that exact name, then the default. A string that is only a
/// placeholder takes the referenced value with its type; placeholders inside longer strings are
/// replaced by the value's text.
struct Placeholders {
    let root: ConfigValue
    var environment: [String: String] = [:]
    static let maxDepth = 16

    func resolve(_ value: ConfigValue, path: String, depth: Int = 0) throws -> ConfigValue {
        switch value {
        case .string(let text) where text.contains("${"):
            return try resolve(text, path: path, depth: depth)
        case .array(let values):
            return .array(try values.enumerated().map { try resolve($0.element, path: path + ".\($0.offset)", depth: depth) })
        case .map(let map):
            return .map(try map.reduce(into: [:]) { out, entry in
                out[entry.key] = try resolve(entry.value, path: path.isEmpty ? entry.key : path + "." + entry.key, depth: depth)
            })
        default:
            return value
        }
    }

    private func resolve(_ text: String, path: String, depth: Int) throws -> ConfigValue {
        var pieces: [ConfigValue] = []
        var literal = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { break }
            literal += rest[..<start.lowerBound]
            if !literal.isEmpty { pieces.append(.string(literal)); literal = "" }
            let inner = rest[start.upperBound..<end]
            let key = String(inner.prefix { $0 != ":" })
            let fallback = inner.contains(":") ? String(inner.drop { $0 != ":" }.dropFirst()) : nil
            pieces.append(try lookup(key, fallback: fallback, path: path, depth: depth))
            rest = rest[rest.index(after: end)...]
        }
        literal += rest
        if !literal.isEmpty { pieces.append(.string(literal)) }
        if pieces.count == 1 { return pieces[0] }
        return .string(try pieces.map { try $0.string() }.joined())
    }

    private func lookup(_ key: String, fallback: String?, path: String, depth: Int) throws -> ConfigValue {
        guard depth < Self.maxDepth else { throw ConfigError.placeholderCycle(key: key) }
        if let value = root[key] {
            return try resolve(value, path: key, depth: depth + 1)
        }
        if let variable = environment[key] { return .string(variable) }
        guard let fallback else { throw ConfigError.unresolvedPlaceholder(key: key, at: path) }
        return .string(fallback)
    }
}
