/// A listen address `host:port` split in two: `:8000` means every interface (`0.0.0.0`), `[::1]:80`
/// an IPv6 host, a missing or unparsable port 0 (pick a free one).
public func listenAddress(_ address: String) -> (host: String, port: Int) {
    let colon = address.lastIndex(of: ":")
    var host = colon.map { address[..<$0] } ?? address[...]
    let port = colon.flatMap { Int(address[address.index(after: $0)...]) } ?? 0
    if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
    return (host.isEmpty ? "0.0.0.0" : String(host), port)
}
