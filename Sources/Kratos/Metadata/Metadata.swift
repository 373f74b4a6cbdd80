/// Key-value pairs that travel with a request across services, as `x-md-` headers.
///
/// Keys are lower-cased. A server collects every request header starting with `x-md-` into the
/// request's metadata. A client sends its own metadata (``Metadata/outgoing``), plus the
/// `x-md-global-*` keys of the request it is serving, so globals propagate across every hop and
/// `x-md-local-*` keys stop after one.
///
/// ```swift
/// try await Metadata.$outgoing.withValue(["x-md-global-tenant": "acme"]) {
///     try await client.call(...)
/// }
/// ```
public struct Metadata: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    /// Headers with this prefix are metadata.
    public static let prefix = "x-md-"
    /// Metadata that every later hop receives.
    public static let globalPrefix = "x-md-global-"
    /// Metadata for the next hop only.
    public static let localPrefix = "x-md-local-"

    private var storage: [String: [String]] = [:]

    public init() {}

    public init(dictionaryLiteral elements: (String, String)...) {
        for (key, value) in elements { add(key, value) }
    }

    /// The first value of `key` (any case); setting replaces all values, `nil` removes the key.
    /// As in go-kratos, an empty key is never stored, and setting an empty value changes nothing.
    public subscript(key: String) -> String? {
        get { storage[key.lowercased()]?.first }
        set {
            guard !key.isEmpty else { return }
            guard let newValue else {
                storage[key.lowercased()] = nil
                return
            }
            if !newValue.isEmpty { storage[key.lowercased()] = [newValue] }
        }
    }

    /// All values of `key`.
    public func values(_ key: String) -> [String] { storage[key.lowercased()] ?? [] }

    /// Appends a value (empty ones too) to `key`; an empty key is ignored, as in go-kratos.
    public mutating func add(_ key: String, _ value: String) {
        guard !key.isEmpty else { return }
        storage[key.lowercased(), default: []].append(value)
    }

    public var isEmpty: Bool { storage.isEmpty }
    public var count: Int { storage.count }

    /// Every key with each of its values, in key order.
    public func makeIterator() -> IndexingIterator<[(key: String, value: String)]> {
        storage.sorted { $0.key < $1.key }.flatMap { key, values in values.map { (key: key, value: $0) } }.makeIterator()
    }

    /// The metadata among `headers`: those whose name starts with `x-md-`. Inlinable, so a
    /// transport's own header type is iterated without a generic scan on every request.
    @inlinable
    public static func extract(from headers: some Sequence<(name: String, value: String)>) -> Metadata {
        var metadata = Metadata()
        for (name, value) in headers where isKey(name) {
            metadata.add(name, value)
        }
        return metadata
    }

    /// Whether header `name` carries metadata: it starts with `x-md-` (any case) and has more
    /// after it. Allocates nothing, so transports can test every header of every request.
    public static func isKey(_ name: String) -> Bool {
        guard name.utf8.count > prefix.utf8.count else { return false }
        var bytes = name.utf8.makeIterator()
        for expected in prefix.utf8 {
            guard let byte = bytes.next(), byte == expected || (byte | 0x20) == expected else { return false }
        }
        return true
    }

    /// What a client sends: `client` metadata as is, plus the `x-md-global-*` keys of `server`
    /// (the request being served) that `client` does not set itself.
    public static func propagated(client: Metadata, server: Metadata?) -> Metadata {
        var out = client
        for (key, values) in server?.storage ?? [:] where key.hasPrefix(globalPrefix) && out.storage[key] == nil {
            out.storage[key] = values
        }
        return out
    }

    /// Metadata a client sends with every call made in this task (go-kratos's client context).
    @TaskLocal public static var outgoing = Metadata()
}
