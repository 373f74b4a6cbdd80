/// `application/x-www-form-urlencoded` pairs in order, as found in a query string or form body.
public struct QueryParameters: Sendable, Equatable, Sequence {
    public private(set) var pairs: [(key: String, value: String)]

    public init(_ pairs: [(key: String, value: String)] = []) {
        self.pairs = pairs
    }

    /// Parses `a=1&b=x%20y&c` (`+` is a space; a key without `=` has an empty value).
    public init(parsing text: some StringProtocol) {
        pairs = text.split(separator: "&", omittingEmptySubsequences: true).map { part in
            guard let eq = part.firstIndex(of: "=") else { return (Self.unescape(part), "") }
            return (Self.unescape(part[..<eq]), Self.unescape(part[part.index(after: eq)...]))
        }
    }

    public init(bytes: [UInt8]) {
        self.init(parsing: String(decoding: bytes, as: UTF8.self))
    }

    public static func == (lhs: QueryParameters, rhs: QueryParameters) -> Bool {
        lhs.pairs.elementsEqual(rhs.pairs) { $0 == $1 }
    }

    public func makeIterator() -> IndexingIterator<[(key: String, value: String)]> { pairs.makeIterator() }

    public var isEmpty: Bool { pairs.isEmpty }

    public subscript(key: String) -> String? { pairs.first { $0.key == key }?.value }

    public func values(_ key: String) -> [String] { pairs.filter { $0.key == key }.map(\.value) }

    public mutating func append(_ key: String, _ value: String) { pairs.append((key, value)) }

    /// The encoded form, `a=1&b=x+y`.
    public var encoded: String {
        pairs.map { Self.escape($0.key) + "=" + Self.escape($0.value) }.joined(separator: "&")
    }

    /// Percent-decodes `text`, reading `+` as a space unless `plusIsSpace` is false (as in paths);
    /// invalid escapes are kept as they are.
    public static func unescape(_ text: some StringProtocol, plusIsSpace: Bool = true) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            switch byte {
            case UInt8(ascii: "+") where plusIsSpace:
                bytes.append(UInt8(ascii: " "))
            case UInt8(ascii: "%"):
                if iterator.count >= 2, let high = hex(iterator[iterator.startIndex]), let low = hex(iterator[iterator.startIndex + 1]) {
                    bytes.append(high << 4 | low)
                    iterator = iterator.dropFirst(2)
                } else {
                    bytes.append(byte)
                }
            default:
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Percent-encodes everything but unreserved characters; spaces become `+`.
    public static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            case UInt8(ascii: " "):
                out += "+"
            default:
                let digits = Array("0123456789ABCDEF".unicodeScalars)
                out += "%"
                out.unicodeScalars.append(digits[Int(byte >> 4)])
                out.unicodeScalars.append(digits[Int(byte & 0xF)])
            }
        }
        return out
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

extension QueryParameters {
    /// Splits a key into its path: `a.b` → [a, b]; `m[k]` → [m, k]; `m[]` and `m.` → [m, ""]
    /// (the empty key of a map, or `a[]` for a repeated field).
    static func path(of key: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var inBracket = false
        var afterBracket = false
        for char in key {
            defer { afterBracket = char == "]" && !inBracket }
            switch char {
            case "." where !inBracket:
                if !(afterBracket && current.isEmpty) { parts.append(current) }
                current = ""
            case "[" where !inBracket:
                if !current.isEmpty { parts.append(current) }
                current = ""
                inBracket = true
            case "]" where inBracket:
                // `m[]` is the empty key, as in go-kratos.
                parts.append(current)
                current = ""
                inBracket = false
            default:
                current.append(char)
            }
        }
        // A trailing dot (`m.`) names the empty key too.
        if !current.isEmpty || key.hasSuffix(".") && !inBracket && !key.isEmpty { parts.append(current) }
        return parts
    }
}
