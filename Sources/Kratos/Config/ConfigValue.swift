import Foundation

/// A configuration value: what YAML, JSON and environment sources produce.
public enum ConfigValue: Sendable, Equatable, CustomStringConvertible {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([ConfigValue])
    case map([String: ConfigValue])

    /// The value at a dotted `key` (`server.http.addr`; array elements by index, `list.0`).
    public subscript(key: String) -> ConfigValue? {
        guard !key.isEmpty else { return self }
        var current = self
        for part in key.split(separator: ".", omittingEmptySubsequences: false) {
            switch current {
            case .map(let map):
                guard let next = map[String(part)] else { return nil }
                current = next
            case .array(let array):
                guard let index = Int(part), array.indices.contains(index) else { return nil }
                current = array[index]
            default:
                return nil
            }
        }
        return current
    }

    /// `other` merged over this value: maps merge key by key (recursively), anything else —
    /// lists included — is replaced by `other`.
    public func merging(_ other: ConfigValue) -> ConfigValue {
        guard case .map(var base) = self, case .map(let top) = other else { return other }
        for (key, value) in top {
            base[key] = base[key].map { $0.merging(value) } ?? value
        }
        return .map(base)
    }

    public var description: String {
        switch self {
        case .null: "null"
        case .bool(let value): String(value)
        case .int(let value): String(value)
        case .double(let value): Self.goText(value)
        case .string(let value): value
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        case .map(let map): "{" + map.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
        }
    }

    /// A value from what Yams produced (native Swift values).
    init(any value: Any?) {
        switch value {
        case nil, is NSNull: self = .null
        case let value as Bool: self = .bool(value)
        case let value as Int: self = .int(Int64(value))
        case let value as Int64: self = .int(value)
        case let value as Double: self = .double(value)
        case let value as String: self = .string(value)
        case let value as [Any]: self = .array(value.map { ConfigValue(any: $0) })
        case let value as [String: Any]: self = .map(value.mapValues { ConfigValue(any: $0) })
        case let value as [AnyHashable: Any]:
            self = .map(Dictionary(value.map { ("\($0.key)", ConfigValue(any: $0.value)) }, uniquingKeysWith: { $1 }))
        default: self = .string("\(value!)")
        }
    }
}

// MARK: Typed access

extension ConfigValue {
    public func bool() throws -> Bool {
        switch self {
        case .bool(let value): return value
        case .int(let value) where value == 0 || value == 1: return value == 1
        case .string(let text): if let value = MessageBinding.parseBool(text) { return value }
        default: break
        }
        throw ConfigError.typeMismatch(key: nil, expected: "a bool", found: self)
    }

    public func int() throws -> Int64 {
        switch self {
        case .int(let value): return value
        case .double(let value) where value.rounded() == value: return Int64(value)
        case .string(let text): if let value = Int64(text) { return value }
        default: break
        }
        throw ConfigError.typeMismatch(key: nil, expected: "an integer", found: self)
    }

    public func double() throws -> Double {
        switch self {
        case .double(let value): return value
        case .int(let value): return Double(value)
        case .string(let text): if let value = Double(text) { return value }
        default: break
        }
        throw ConfigError.typeMismatch(key: nil, expected: "a number", found: self)
    }

    public func string() throws -> String {
        switch self {
        case .string(let value): return value
        case .bool, .int, .double: return description
        default: throw ConfigError.typeMismatch(key: nil, expected: "a string", found: self)
        }
    }

    /// A duration written as Go writes them: `"1s"`, `"500ms"`, `"1m30s"`, `"1.5h"`, `"-2s"`,
    /// units ns, us (µs), ms, s, m, h; a bare `0` is zero.
    public func duration() throws -> Duration {
        guard case .string(let text) = self, let duration = Duration(config: text) else {
            if case .int(0) = self { return .zero }
            throw ConfigError.typeMismatch(key: nil, expected: #"a duration such as "1s" or "500ms""#, found: self)
        }
        return duration
    }

    public func array() throws -> [ConfigValue] {
        guard case .array(let values) = self else { throw ConfigError.typeMismatch(key: nil, expected: "a list", found: self) }
        return values
    }

    public func map() throws -> [String: ConfigValue] {
        guard case .map(let map) = self else { throw ConfigError.typeMismatch(key: nil, expected: "a map", found: self) }
        return map
    }
}

extension Duration {
    /// Parses Go's duration syntax exactly as `time.ParseDuration` does: an optional sign, then
    /// one or more decimal numbers (`1`, `1.5`, `.5`, `1.`) each with a unit (`ns`, `us`, `µs`,
    /// `μs`, `ms`, `s`, `m`, `h`): `1h30m`, `2m0.000000022s`, `-1.5h`, `300ms`; `"0"` alone needs no
    /// unit. Computed in whole nanoseconds; nil for anything else or beyond ±292 years.
    public init?(config text: String) {
        var rest = Substring(text)
        var negative = false
        if let sign = rest.first, sign == "-" || sign == "+" {
            negative = sign == "-"
            rest = rest.dropFirst()
        }
        if rest == "0" {
            self = .zero
            return
        }
        guard !rest.isEmpty else { return nil }
        var total: UInt64 = 0
        while !rest.isEmpty {
            let whole = rest.prefix { $0.isASCII && $0.isNumber }
            rest = rest.dropFirst(whole.count)
            var fraction: Substring = ""
            if rest.first == "." {
                rest = rest.dropFirst()
                fraction = rest.prefix { $0.isASCII && $0.isNumber }
                rest = rest.dropFirst(fraction.count)
            }
            guard !whole.isEmpty || !fraction.isEmpty else { return nil }
            let unitText = rest.prefix { !($0.isASCII && $0.isNumber) && $0 != "." }
            rest = rest.dropFirst(unitText.count)
            guard let unit = Self.goUnits[String(unitText)] else { return nil }
            // whole × unit + fraction × unit / 10^digits, in integers (digits past ns precision are dropped).
            guard let integer = whole.isEmpty ? 0 : UInt64(whole) else { return nil }
            let (scaled, overflow) = integer.multipliedReportingOverflow(by: unit)
            guard !overflow else { return nil }
            var part = scaled
            var scale: UInt64 = 1
            var numerator: UInt64 = 0
            for digit in fraction {
                guard scale < 1_000_000_000_000_000, let value = digit.wholeNumberValue else { break }
                numerator = numerator * 10 + UInt64(value)
                scale *= 10
            }
            if numerator > 0 {
                let (product, fractionOverflow) = numerator.multipliedReportingOverflow(by: unit)
                part += fractionOverflow ? UInt64(Double(numerator) * Double(unit) / Double(scale)) : product / scale
            }
            let (sum, sumOverflow) = total.addingReportingOverflow(part)
            guard !sumOverflow, sum <= UInt64(Int64.max) + (negative ? 1 : 0) else { return nil }
            total = sum
        }
        self = .nanoseconds(negative ? Int64(truncatingIfNeeded: 0 &- total) : Int64(total))
    }

    private static let goUnits: [String: UInt64] = [
        "ns": 1, "us": 1_000, "\u{B5}s": 1_000, "\u{3BC}s": 1_000, "ms": 1_000_000, "s": 1_000_000_000,
        "m": 60_000_000_000, "h": 3_600_000_000_000,
    ]

    /// The duration as protojson writes it: seconds with 0, 3, 6 or 9 fractional digits and `s`.
    var protoJSON: String {
        let nanoseconds = components.seconds * 1_000_000_000 + components.attoseconds / 1_000_000_000
        let magnitude = nanoseconds.magnitude
        let seconds = magnitude / 1_000_000_000, nanos = magnitude % 1_000_000_000
        var fraction = ""
        if nanos != 0 {
            var digits = String(nanos)
            digits = String(repeating: "0", count: 9 - digits.count) + digits
            while digits.count > 3, digits.hasSuffix("000") { digits.removeLast(3) }
            fraction = "." + digits
        }
        return (nanoseconds < 0 ? "-" : "") + "\(seconds)" + fraction + "s"
    }
}

/// What can go wrong reading configuration; each case names the key.
public enum ConfigError: Error, CustomStringConvertible, Equatable {
    case notFound(key: String)
    case typeMismatch(key: String?, expected: String, found: ConfigValue)
    case unresolvedPlaceholder(key: String, at: String)
    case placeholderCycle(key: String)
    case invalidSource(name: String, reason: String)

    public var description: String {
        switch self {
        case .notFound(let key): "config key \"\(key)\" not found"
        case .typeMismatch(let key, let expected, let found):
            "config key \"\(key ?? "?")\" is \(found), expected \(expected)"
        case .unresolvedPlaceholder(let key, let at):
            "placeholder ${\(key)} at \"\(at)\" has no value and no default (write ${\(key):default})"
        case .placeholderCycle(let key): "placeholder ${\(key)} refers to itself"
        case .invalidSource(let name, let reason): "config source \(name): \(reason)"
        }
    }

    /// This error with `key` filled in.
    func at(_ key: String) -> ConfigError {
        if case .typeMismatch(nil, let expected, let found) = self { return .typeMismatch(key: key, expected: expected, found: found) }
        return self
    }
}

extension ConfigValue {
    /// A float as go-kratos reads it as a string (Go's `fmt.Sprint`): the shortest digits that
    /// round-trip, plain (`1`, `0.5`, `123456`) unless the decimal exponent is below -4 or at
    /// least 6 (`1e+06`, `1.5e-05`); `+Inf`, `-Inf`, `NaN`.
    static func goText(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value < 0 ? "-Inf" : "+Inf" }
        if value == 0 { return value.sign == .minus ? "-0" : "0" }
        // Swift's description has the shortest round-trip digits, as "123.45" or "1.2345e+20".
        let text = "\(value.magnitude)"
        let parts = text.split(separator: "e", maxSplits: 1)
        let mantissa = parts[0]
        let shift = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
        let integerDigits = mantissa.prefix { $0 != "." }
        var digits = Array(mantissa.filter { $0 != "." })
        var point = integerDigits.count + shift
        while digits.first == "0" {
            digits.removeFirst()
            point -= 1
        }
        while digits.last == "0" { digits.removeLast() }
        let sign = value < 0 ? "-" : ""
        let exponent = point - 1
        if exponent < -4 || exponent >= 6 {
            let fraction = digits.count > 1 ? "." + String(digits.dropFirst()) : ""
            let magnitude = abs(exponent) < 10 ? "0\(abs(exponent))" : "\(abs(exponent))"
            return sign + String(digits[0]) + fraction + "e" + (exponent < 0 ? "-" : "+") + magnitude
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
        if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) }
        return sign + String(digits[..<point]) + "." + String(digits[point...])
    }
}
