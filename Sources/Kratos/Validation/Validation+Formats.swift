/// The string formats of protovalidate's well-known string rules, checked by hand (no regex).
extension Validation {
    /// `email`: one `@`; before it the characters HTML's email input allows
    /// (letters, digits, ``.!#$%&'*+/=?^_`{|}~-``), after it a host name of letters, digits and
    /// hyphens (labels of 1–63, no hyphen at either end).
    public static func isEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else { return false }
        let local = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.!#$%&'*+/=?^_`{|}~-".utf8)
        guard parts[0].utf8.allSatisfy(local.contains) else { return false }
        return parts[1].split(separator: ".", omittingEmptySubsequences: false).allSatisfy(isLabel)
    }

    /// `hostname`: at most 253 characters, an optional final dot, labels of 1–63 letters, digits
    /// and hyphens with no hyphen at either end; the last label is not all digits.
    public static func isHostname(_ text: String) -> Bool {
        guard !text.isEmpty, text.utf8.count <= 253 else { return false }
        let name = text.hasSuffix(".") ? text.dropLast() : Substring(text)
        let labels = name.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.allSatisfy(isLabel), let last = labels.last else { return false }
        return !last.utf8.allSatisfy(isDigit)
    }

    /// `ip`: an IPv4 or IPv6 address.
    public static func isIP(_ text: String) -> Bool { isIPv4(text) || isIPv6(text) }

    /// `ipv4`: four decimal numbers 0–255 joined by dots, without leading zeros.
    public static func isIPv4(_ text: String) -> Bool {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 4 && parts.allSatisfy { part in
            guard (1...3).contains(part.utf8.count), part.utf8.allSatisfy(isDigit), let value = Int(part) else { return false }
            return value <= 255 && (part.utf8.count == 1 || part.utf8.first != UInt8(ascii: "0"))
        }
    }

    /// `ipv6`: eight groups of 1–4 hex digits, `::` standing once for one or more zero groups, an
    /// IPv4 address as the last two groups, and an optional non-empty zone after `%`.
    public static func isIPv6(_ text: String) -> Bool {
        var address = Substring(text)
        if let percent = text.firstIndex(of: "%") {
            guard text.index(after: percent) < text.endIndex else { return false }
            address = text[..<percent]
        }
        let halves = address.split(separator: "::", omittingEmptySubsequences: false)
        switch halves.count {
        case 1:
            return groupCount(halves[0], ipv4Allowed: true) == 8
        case 2:
            guard let head = groupCount(halves[0], ipv4Allowed: false),
                  let tail = groupCount(halves[1], ipv4Allowed: true) else { return false }
            return head + tail <= 7
        default:
            return false
        }
    }

    /// `address`: a host name or an IP address.
    public static func isAddress(_ text: String) -> Bool { isHostname(text) || isIP(text) }

    /// `uuid`: 8-4-4-4-12 hex digits joined by hyphens, either case.
    public static func isUUID(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        guard bytes.count == 36 else { return false }
        return bytes.enumerated().allSatisfy { index, byte in
            [8, 13, 18, 23].contains(index) ? byte == UInt8(ascii: "-") : isHex(byte)
        }
    }

    /// `tuuid`: a UUID's 32 hex digits without hyphens.
    public static func isTrimmedUUID(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy(isHex)
    }

    // MARK: Parts

    /// How many 16-bit groups `text` holds (an IPv4 address at its end counts two), or nil when
    /// it is not a `:`-separated list of groups; the empty string holds none.
    private static func groupCount(_ text: Substring, ipv4Allowed: Bool) -> Int? {
        if text.isEmpty { return 0 }
        let groups = text.split(separator: ":", omittingEmptySubsequences: false)
        var count = 0
        for (index, group) in groups.enumerated() {
            if ipv4Allowed, index == groups.count - 1, group.contains(".") {
                guard isIPv4(String(group)) else { return nil }
                count += 2
            } else {
                guard (1...4).contains(group.utf8.count), group.utf8.allSatisfy(isHex) else { return nil }
                count += 1
            }
        }
        return count
    }

    /// A DNS label: 1–63 letters, digits and hyphens, no hyphen at either end.
    static func isLabel(_ label: Substring) -> Bool {
        let bytes = label.utf8
        guard (1...63).contains(bytes.count), bytes.first != UInt8(ascii: "-"), bytes.last != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
    }

    static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
    static func isHex(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }
    static func isAlpha(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
    }
    static func isAlphanumeric(_ byte: UInt8) -> Bool { isAlpha(byte) || isDigit(byte) }
}
