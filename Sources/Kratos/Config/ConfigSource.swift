import Foundation

/// Where configuration comes from: loads a tree, and tells when it may have changed.
public protocol ConfigSource: Sendable {
    /// Names the source in errors and logs.
    var name: String { get }
    /// The current tree (a `.map`).
    func load() throws -> ConfigValue
    /// Yields whenever the source may have changed; finishes if the source never changes.
    func changes() -> AsyncStream<Void>
}

/// A YAML or JSON file, or a directory of them (non-hidden files, format by extension, merged in
/// name order). Changes are found by polling modification times and sizes.
public struct FileSource: ConfigSource {
    public let path: String
    public var pollInterval: Duration

    public init(_ path: String, pollInterval: Duration = .seconds(1)) {
        self.path = path
        self.pollInterval = pollInterval
    }

    public var name: String { "file \(path)" }

    /// The files read, in merge order.
    func files() throws -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError.invalidSource(name: name, reason: "no such file or directory")
        }
        guard isDirectory.boolValue else { return [URL(fileURLWithPath: path)] }
        return try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            .filter { !$0.hasPrefix(".") && Self.formats.contains(($0 as NSString).pathExtension.lowercased()) }
            .map { URL(fileURLWithPath: path).appendingPathComponent($0) }
    }

    static let formats: Set<String> = ["yaml", "yml", "json"]

    public func load() throws -> ConfigValue {
        var tree = ConfigValue.map([:])
        for file in try files() {
            let text: String
            do {
                text = try String(contentsOf: file, encoding: .utf8)
            } catch {
                throw ConfigError.invalidSource(name: "file \(file.path)", reason: "\(error.localizedDescription)")
            }
            let value = try ConfigValue.parse(document: text, source: "file \(file.path)")
            if case .null = value { continue }
            guard case .map = value else {
                throw ConfigError.invalidSource(name: "file \(file.path)", reason: "the top level must be a map")
            }
            tree = tree.merging(value)
        }
        return tree
    }

    /// Modification time and size of every file: what polling compares.
    func fingerprint() -> [String] {
        ((try? files()) ?? []).map { file in
            let attributes = try? FileManager.default.attributesOfItem(atPath: file.path)
            let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
            return "\(file.path)|\(modified)|\(attributes?[.size] ?? 0)"
        }
    }

    public func changes() -> AsyncStream<Void> {
        let source = self
        return AsyncStream { continuation in
            // Taken now, so a change made right after this call is still seen.
            var last = source.fingerprint()
            let task = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: source.pollInterval)
                    let now = source.fingerprint()
                    if now != last {
                        last = now
                        continuation.yield()
                    }
                }
                continuation.finish()
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}

/// Environment variables with one of `prefixes`: `APP_SERVER_HTTP_ADDR` with prefix `APP_` →
/// `server.http.addr`, and also, as go-kratos's env source names it, the top-level key
/// `SERVER_HTTP_ADDR` (the name without the prefix and one `_`), so `${SERVER_HTTP_ADDR}`
/// placeholders written for go-kratos resolve. With no prefixes, every variable under its own
/// name only. Values are strings; typed reads parse them.
public struct EnvironmentSource: ConfigSource {
    public let prefixes: [String]
    let variables: [String: String]

    public init(prefixes: [String], environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.prefixes = prefixes
        variables = environment
    }

    public var name: String { "env \(prefixes.joined(separator: ","))" }

    public func load() throws -> ConfigValue {
        var tree = ConfigValue.map([:])
        for (variable, value) in variables.sorted(by: { $0.key < $1.key }) where !variable.isEmpty {
            guard !prefixes.isEmpty else {
                tree = tree.merging(.map([variable: .string(value)]))
                continue
            }
            guard let prefix = prefixes.first(where: { variable.hasPrefix($0) && variable.count > $0.count }) else { continue }
            var raw = variable.dropFirst(prefix.count)
            if raw.hasPrefix("_") { raw = raw.dropFirst() }
            let path = raw.lowercased().split(separator: "_").map(String.init)
            guard !path.isEmpty else { continue }
            let leaf = path.reversed().reduce(ConfigValue.string(value)) { inner, key in .map([key: inner]) }
            tree = tree.merging(leaf).merging(.map([String(raw): .string(value)]))
        }
        return tree
    }

    public func changes() -> AsyncStream<Void> {
        AsyncStream { $0.finish() }
    }
}

/// A fixed tree: defaults, or tests.
public struct StaticSource: ConfigSource {
    public let name: String
    let value: ConfigValue

    public init(_ value: ConfigValue, name: String = "static") {
        self.value = value
        self.name = name
    }

    public func load() throws -> ConfigValue { value }
    public func changes() -> AsyncStream<Void> { AsyncStream { $0.finish() } }
}
