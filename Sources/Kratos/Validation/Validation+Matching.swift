import Foundation

/// Exact comparisons for the string and bytes rules: strings by their UTF-8 bytes, as
/// protovalidate compares them (Swift's `==` and `hasPrefix` treat canonically equivalent
/// strings as equal, `"é"` and `"e\u{301}"` among them; protovalidate does not).
extension Validation {
    public static func equals(_ value: String, _ other: String) -> Bool { value.utf8.elementsEqual(other.utf8) }
    public static func isIn(_ value: String, _ list: [String]) -> Bool { list.contains { equals(value, $0) } }
    public static func hasPrefix(_ value: String, _ prefix: String) -> Bool { value.utf8.starts(with: prefix.utf8) }
    public static func hasSuffix(_ value: String, _ suffix: String) -> Bool { value.utf8.reversed().starts(with: suffix.utf8.reversed()) }
    public static func contains(_ value: String, _ part: String) -> Bool { contains(Array(value.utf8), Array(part.utf8)) }

    public static func equals(_ value: Data, _ other: [UInt8]) -> Bool { value.elementsEqual(other) }
    public static func isIn(_ value: Data, _ list: [[UInt8]]) -> Bool { list.contains { value.elementsEqual($0) } }
    public static func hasPrefix(_ value: Data, _ prefix: [UInt8]) -> Bool { value.starts(with: prefix) }
    public static func hasSuffix(_ value: Data, _ suffix: [UInt8]) -> Bool { value.reversed().starts(with: suffix.reversed()) }
    public static func contains(_ value: Data, _ part: [UInt8]) -> Bool { contains(Array(value), part) }

    /// Whether `part` occurs in `bytes` (the empty part occurs everywhere).
    private static func contains(_ bytes: [UInt8], _ part: [UInt8]) -> Bool {
        guard !part.isEmpty else { return true }
        guard bytes.count >= part.count else { return false }
        return (0...(bytes.count - part.count)).contains { start in bytes[start..<(start + part.count)].elementsEqual(part) }
    }
}
