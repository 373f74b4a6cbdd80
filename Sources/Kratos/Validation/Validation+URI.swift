/// The `uri` rule: an absolute URI as RFC 3986 defines it, checked by hand.
extension Validation {
    /// `uri`: `scheme:` then a hierarchical part (`//authority` and an absolute or empty path, or
    /// a path), an optional `?query` and `#fragment`, each made only of the characters RFC 3986
    /// allows there, with well-formed `%XX` escapes; an authority's host is a registered name, an
    /// IPv4 address or a bracketed IPv6 (zone as `%25…`) or IPvFuture literal, its port digits.
    public static func isURI(_ text: String) -> Bool {
        var rest = Substring(text)
        guard let colon = rest.firstIndex(of: ":"), isScheme(rest[..<colon]) else { return false }
        rest = rest[rest.index(after: colon)...]
        if let hash = rest.firstIndex(of: "#") {
            guard isMadeOf(rest[rest.index(after: hash)...], extra: "/?") else { return false }
            rest = rest[..<hash]
        }
        if let question = rest.firstIndex(of: "?") {
            guard isMadeOf(rest[rest.index(after: question)...], extra: "/?") else { return false }
            rest = rest[..<question]
        }
        if rest.hasPrefix("//") {
            rest = rest.dropFirst(2)
            let end = rest.firstIndex(of: "/") ?? rest.endIndex
            guard isAuthority(rest[..<end]) else { return false }
            rest = rest[end...]
        }
        return isMadeOf(rest, extra: "/")
    }

    /// `ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )`.
    private static func isScheme(_ scheme: Substring) -> Bool {
        guard let first = scheme.utf8.first, isAlpha(first) else { return false }
        return scheme.utf8.allSatisfy { isAlphanumeric($0) || "+-.".utf8.contains($0) }
    }

    /// `[ userinfo "@" ] host [ ":" port ]`.
    private static func isAuthority(_ authority: Substring) -> Bool {
        var hostAndPort = authority
        if let at = authority.lastIndex(of: "@") {
            guard isMadeOf(authority[..<at], extra: ":", pchar: false) else { return false }
            hostAndPort = authority[authority.index(after: at)...]
        }
        var host = hostAndPort
        if hostAndPort.hasPrefix("[") {
            guard let close = hostAndPort.firstIndex(of: "]"), isIPLiteral(hostAndPort.dropFirst()[..<close]) else { return false }
            host = hostAndPort[...close]
            let after = hostAndPort[hostAndPort.index(after: close)...]
            guard after.isEmpty || after.hasPrefix(":") else { return false }
        } else if let colon = hostAndPort.lastIndex(of: ":") {
            host = hostAndPort[..<colon]
        }
        let port = hostAndPort[host.endIndex...].dropFirst()
        guard port.utf8.allSatisfy(isDigit) else { return false }
        return host.hasPrefix("[") || isMadeOf(host, extra: "", pchar: false)
    }

    /// What is between `[` and `]`: an IPv6 address with an optional `%25` zone, or `vX.…`.
    private static func isIPLiteral(_ literal: Substring) -> Bool {
        if let v = literal.utf8.first, v == UInt8(ascii: "v") || v == UInt8(ascii: "V") {
            let body = literal.dropFirst()
            guard let dot = body.firstIndex(of: "."), !body[..<dot].isEmpty, body[..<dot].utf8.allSatisfy(isHex) else { return false }
            let tail = body[body.index(after: dot)...]
            return !tail.isEmpty && tail.utf8.allSatisfy { isUnreserved($0) || isSubDelimiter($0) || $0 == UInt8(ascii: ":") }
        }
        let parts = literal.split(separator: "%25", maxSplits: 1, omittingEmptySubsequences: false)
        guard isIPv6(String(parts[0])), !parts[0].contains("%") else { return false }
        return parts.count == 1 || (!parts[1].isEmpty && isMadeOf(parts[1], extra: "", pchar: false, subDelimiters: false))
    }

    /// Whether `text` is made of unreserved characters, `%XX` escapes, sub-delimiters (when
    /// `subDelimiters`), `:` and `@` (when `pchar`) and the characters of `extra`.
    private static func isMadeOf(_ text: Substring, extra: String, pchar: Bool = true, subDelimiters: Bool = true) -> Bool {
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < bytes.count, isHex(bytes[index + 1]), isHex(bytes[index + 2]) else { return false }
                index += 3
                continue
            }
            let allowed = isUnreserved(byte) || (subDelimiters && isSubDelimiter(byte))
                || (pchar && (byte == UInt8(ascii: ":") || byte == UInt8(ascii: "@"))) || extra.utf8.contains(byte)
            guard allowed else { return false }
            index += 1
        }
        return true
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool { isAlphanumeric(byte) || "-._~".utf8.contains(byte) }
    private static func isSubDelimiter(_ byte: UInt8) -> Bool { "!$&'()*+,;=".utf8.contains(byte) }
}
