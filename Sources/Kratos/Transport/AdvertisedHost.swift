#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension ListenAddress {
    /// The host a server bound to `host` advertises in its endpoint (and so in a registry): `host`
    /// itself, bracketed when it is IPv6; for a wildcard bind (`0.0.0.0`, `::`, empty) the
    /// machine's first non-loopback IPv4 address, or 127.0.0.1 when it has none.
    public static func advertisedHost(forBound host: String) -> String {
        guard host == "0.0.0.0" || host == "::" || host.isEmpty else {
            return host.contains(":") ? "[\(host)]" : host
        }
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0 else { return "127.0.0.1" }
        defer { freeifaddrs(list) }
        var cursor = list
        while let entry = cursor {
            cursor = entry.pointee.ifa_next
            guard let address = entry.pointee.ifa_addr, address.pointee.sa_family == sa_family_t(AF_INET) else { continue }
            var text = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            guard getnameinfo(address, socklen_t(MemoryLayout<sockaddr_in>.size), &text, socklen_t(text.count), nil, 0, NI_NUMERICHOST) == 0 else {
                continue
            }
            let ip = String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if !ip.hasPrefix("127.") { return ip }
        }
        return "127.0.0.1"
    }
}
