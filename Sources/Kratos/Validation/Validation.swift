import Foundation
import SwiftProtobuf

/// What the code protoc-gen-kratos-validate generates calls at run time: patterns, the string
/// formats (see `Validation+Formats.swift`), map key paths, uniqueness and the clock.
public enum Validation {
    /// A `pattern` rule, compiled once. protovalidate's patterns are RE2; they are compiled as
    /// Swift `Regex` matching Unicode scalars (RE2 matches code points, not characters), and match
    /// anywhere in the value unless anchored. The generator compiles each pattern first, so one
    /// that cannot compile fails generation; should it fail here anyway, nothing matches.
    public struct Pattern: Sendable {
        // Only its output type (`AnyRegexOutput`) keeps `Regex` from being Sendable; matching
        // makes a new output per call and never shares one, and the compiled program is immutable.
        nonisolated(unsafe) private let regex: Regex<AnyRegexOutput>?

        public init(_ pattern: String) {
            regex = (try? Regex(pattern))?.matchingSemantics(.unicodeScalar)
        }

        /// Whether the pattern matches somewhere in `text`.
        public func matches(_ text: String) -> Bool {
            guard let regex else { return false }
            return (try? regex.firstMatch(in: text)) != nil
        }

        /// Whether the pattern matches somewhere in `bytes` read as UTF-8; false when they are not UTF-8.
        public func matches(_ bytes: Data) -> Bool {
            guard let text = String(validating: bytes, as: UTF8.self) else { return false }
            return matches(text)
        }
    }

    /// The length of `text` as the `len`, `min_len` and `max_len` rules count it, in Unicode
    /// scalars: its UTF-8 bytes that start one, counted in place (`unicodeScalars.count` steps
    /// through String indices one at a time).
    public static func length(_ text: String) -> Int {
        text.utf8.withContiguousStorageIfAvailable { bytes in
            var count = 0
            for byte in bytes where byte & 0xC0 != 0x80 { count += 1 }
            return count
        } ?? text.unicodeScalars.count
    }

    /// A map key in a field path: `"env"` (quoted, escaped), `7`, `true`.
    public static func key(_ key: String) -> String { JSONString.quoted(key) }
    public static func key(_ key: some BinaryInteger) -> String { "\(key)" }
    public static func key(_ key: Bool) -> String { "\(key)" }

    /// Whether no two of `items` are equal.
    public static func isUnique<Item: Hashable>(_ items: [Item]) -> Bool {
        var seen = Set<Item>()
        return items.allSatisfy { seen.insert($0).inserted }
    }

    /// Whether no two of `items` have the same bytes (canonically equivalent spellings differ).
    public static func isUnique(_ items: [String]) -> Bool {
        isUnique(items.map { Array($0.utf8) })
    }

    /// Now, as a timestamp's seconds and nanos (for `lt_now`, `gt_now` and `within`).
    public static func now() -> (seconds: Int64, nanos: Int32) {
        let now = Google_Protobuf_Timestamp(date: Date())
        return (now.seconds, now.nanos)
    }

    /// Whether `timestamp` is no further than `seconds` and `nanos` from now, either side.
    public static func isWithin(_ timestamp: Google_Protobuf_Timestamp, seconds: Int64, nanos: Int32) -> Bool {
        let now = self.now()
        var distance = (seconds: timestamp.seconds - now.seconds, nanos: timestamp.nanos - now.nanos)
        if distance.seconds < 0 || (distance.seconds == 0 && distance.nanos < 0) {
            distance = (-distance.seconds, -distance.nanos)
        }
        if distance.nanos < 0 {
            distance = (distance.seconds - 1, distance.nanos + 1_000_000_000)
        }
        return (distance.seconds, distance.nanos) <= (seconds, nanos)
    }
}
