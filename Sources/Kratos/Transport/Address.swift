/// Where a server listens: `host:port` split in two.
///
/// `:8000` means every interface (`0.0.0.0`), `[::1]:80` an IPv6 host, a missing or unparsable
/// port 0 (pick a free one).
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var port: Int

    public init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    /// Parses `host:port`.
    public init(parsing address: String) {
        let colon = address.lastIndex(of: ":")
        var host = colon.map { address[..<$0] } ?? address[...]
        let port = colon.flatMap { Int(address[address.index(after: $0)...]) } ?? 0
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        self.init(host: host.isEmpty ? "0.0.0.0" : String(host), port: port)
    }

    public var description: String {
        host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
    }
}
