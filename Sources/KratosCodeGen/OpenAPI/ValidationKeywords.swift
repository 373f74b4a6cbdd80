import Foundation
import SwiftProtobuf
import SwiftProtobufPluginLibrary

/// A field's `buf.validate` rules as JSON Schema keywords, where JSON Schema has them: string
/// lengths, patterns (`prefix`, `suffix` and `contains` as patterns too), formats (email,
/// hostname, ipv4, ipv6, uri, uuid), `const`, `in`/`not_in`; bounds of 32-bit integers and
/// floats (a lower bound above the upper one: outside the range); `repeated` item counts and
/// uniqueness, `map` pair counts, keys and values, items' rules. Rules with no JSON Schema form
/// (bytes, 64-bit bounds on their string form, durations, timestamps, `any`) are left to the
/// server. A field whose rules refuse its zero value (and which has no presence) is required:
/// leaving it out of the JSON sends the zero value, which the server refuses.
struct ValidationKeywords {
    /// Keywords of the field's own schema.
    var own: [String: DocumentNode] = [:]
    /// Keywords of each item (repeated), or of each value (map).
    var element: [String: DocumentNode] = [:]
    /// Keywords of each map key (`propertyNames`).
    var keys: [String: DocumentNode] = [:]
    /// Whether the JSON object must hold the field.
    var required = false

    /// The keywords of `field`'s rules; nil when it has none (or they are ignored). A field a
    /// message `oneof` rule names (`inMessageOneof`) may hold its zero value.
    init?(field: FieldDescriptor, inMessageOneof: Bool = false) {
        guard field.options.hasBuf_Validate_field else { return nil }
        let rules = field.options.Buf_Validate_field
        guard rules.ignore != .always else { return nil }
        var rejectsZero = false
        switch rules.type {
        case .repeated(let repeated)?:
            if repeated.hasMinItems { own["minItems"] = .integer(repeated.minItems); rejectsZero = repeated.minItems > 0 }
            if repeated.hasMaxItems { own["maxItems"] = .integer(repeated.maxItems) }
            if repeated.unique { own["uniqueItems"] = .bool(true) }
            element = Self.valueKeywords(repeated.items, field: field).keywords
        case .map(let map)?:
            if map.hasMinPairs { own["minProperties"] = .integer(map.minPairs); rejectsZero = map.minPairs > 0 }
            if map.hasMaxPairs { own["maxProperties"] = .integer(map.maxPairs) }
            if let (key, value) = field.messageType?.mapKeyAndValue {
                keys = key.type == .string ? Self.valueKeywords(map.keys, field: key).keywords : [:]
                element = Self.valueKeywords(map.values, field: value).keywords
            }
        default:
            let value = Self.valueKeywords(rules, field: field)
            own = value.keywords
            rejectsZero = value.rejectsZero
        }
        let zeroAllowed = rules.ignore == .ifZeroValue || inMessageOneof || field.hasPresence || field.realContainingOneof != nil
        required = rules.required || (rejectsZero && !zeroAllowed && !field.isMap && (field.type != .message || field.isRepeated))
        if rules.ignore == .ifZeroValue, !own.isEmpty, let zero = Self.zero(of: field) {
            own = ["anyOf": .array([.object(["const": zero]), .object(own)])]
        }
    }

    /// `schema` (the field's, from ``SchemaBuilder``) with these keywords merged in.
    func applied(to schema: DocumentNode) -> DocumentNode {
        var members = schema.members
        members.merge(own) { $1 }
        if !element.isEmpty {
            for key in ["items", "additionalProperties"] where members[key] != nil {
                members[key] = .object((members[key]?.members ?? [:]).merging(element) { $1 })
            }
        }
        if !keys.isEmpty { members["propertyNames"] = .object(keys) }
        return .object(members)
    }

    /// The keywords of one value's type rules, and whether they refuse the zero value.
    static func valueKeywords(_ rules: Buf_Validate_FieldRules, field: FieldDescriptor) -> (keywords: [String: DocumentNode], rejectsZero: Bool) {
        switch rules.type {
        case .string(let r)?: return strings(r)
        case .bool(let r)?:
            return r.hasConst ? (["const": .bool(r.const)], r.const) : ([:], false)
        case .enum(let r)?: return enums(r, field.enumType)
        case .int32(let r)?: return numbers(r.range)
        case .sint32(let r)?: return numbers(r.range)
        case .sfixed32(let r)?: return numbers(r.range)
        case .uint32(let r)?: return numbers(r.range)
        case .fixed32(let r)?: return numbers(r.range)
        case .float(let r)?: return numbers(r.range)
        case .double(let r)?: return numbers(r.range)
        default: return ([:], false)
        }
    }

    static func strings(_ r: Buf_Validate_StringRules) -> (keywords: [String: DocumentNode], rejectsZero: Bool) {
        var out: [String: DocumentNode] = [:]
        var rejectsZero = false
        if r.hasLen { out["minLength"] = .integer(r.len); out["maxLength"] = .integer(r.len); rejectsZero = r.len > 0 }
        if r.hasMinLen { out["minLength"] = .integer(r.minLen); rejectsZero = rejectsZero || r.minLen > 0 }
        if r.hasMaxLen { out["maxLength"] = .integer(r.maxLen) }
        if r.hasConst { out["const"] = .string(r.const); rejectsZero = rejectsZero || !r.const.isEmpty }
        if !r.in.isEmpty { out["enum"] = .array(r.in.map(DocumentNode.string)); rejectsZero = rejectsZero || !r.in.contains("") }
        if !r.notIn.isEmpty { out["not"] = .object(["enum": .array(r.notIn.map(DocumentNode.string))]); rejectsZero = rejectsZero || r.notIn.contains("") }
        if (r.hasLenBytes && r.lenBytes > 0) || (r.hasMinBytes && r.minBytes > 0) { rejectsZero = true }
        var patterns: [String] = []
        if r.hasPattern {
            // ECMA-262 regexes (OpenAPI's) have no `\pL` shorthand, and most tools run them
            // without Unicode classes: such patterns are left to the server.
            if !r.pattern.contains("\\p"), !r.pattern.contains("\\P") { patterns.append(r.pattern) }
            rejectsZero = rejectsZero || !matchesEmpty(r.pattern)
        }
        if r.hasPrefix, !r.prefix.isEmpty { patterns.append("^" + escaped(r.prefix)); rejectsZero = true }
        if r.hasSuffix, !r.suffix.isEmpty { patterns.append(escaped(r.suffix) + "$"); rejectsZero = true }
        if r.hasContains, !r.contains.isEmpty { patterns.append(escaped(r.contains)); rejectsZero = true }
        if patterns.count == 1 {
            out["pattern"] = .string(patterns[0])
        } else if patterns.count > 1 {
            out["allOf"] = .array(patterns.map { .object(["pattern": .string($0)]) })
        }
        let format: String? = switch r.wellKnown {
        case .email(true)?: "email"
        case .hostname(true)?: "hostname"
        case .ipv4(true)?: "ipv4"
        case .ipv6(true)?: "ipv6"
        case .uri(true)?: "uri"
        case .uuid(true)?: "uuid"
        default: nil
        }
        if let format { out["format"] = .string(format) }
        // Every format the validate plugin supports refuses the empty string.
        switch r.wellKnown {
        case .email(true)?, .hostname(true)?, .ip(true)?, .ipv4(true)?, .ipv6(true)?, .uri(true)?, .address(true)?,
             .uuid(true)?, .tuuid(true)?:
            rejectsZero = true
        default: break
        }
        return (out, rejectsZero)
    }

    static func enums(_ r: Buf_Validate_EnumRules, _ type: EnumDescriptor?) -> (keywords: [String: DocumentNode], rejectsZero: Bool) {
        guard let type else { return ([:], false) }
        var allowed = type.values.map(\.number)
        if r.hasConst { allowed = allowed.filter { $0 == r.const } }
        if !r.in.isEmpty { allowed = allowed.filter(r.in.contains) }
        allowed = allowed.filter { !r.notIn.contains($0) }
        guard r.hasConst || !r.in.isEmpty || !r.notIn.isEmpty else { return ([:], false) }
        var names: [DocumentNode] = []
        for value in type.values where allowed.contains(value.number) && !names.contains(.string(value.name)) {
            names.append(.string(value.name))
        }
        return (["enum": .array(names)], !allowed.contains(type.values.first?.number ?? 0))
    }

    static func numbers<Value: RuleValue & DocumentValue>(_ range: RangeRules<Value>) -> (keywords: [String: DocumentNode], rejectsZero: Bool) {
        var out: [String: DocumentNode] = [:]
        func keywords(_ bound: RangeRules<Value>.Bound, lower: Bool) -> [String: DocumentNode] {
            let name = bound.inclusive ? (lower ? "minimum" : "maximum") : (lower ? "exclusiveMinimum" : "exclusiveMaximum")
            return [name: bound.value.node]
        }
        func passes(_ bound: RangeRules<Value>.Bound?, lower: Bool) -> Bool {
            guard let bound else { return true }
            let zero = Value.zeroValue
            if lower { return bound.inclusive ? zero >= bound.value : zero > bound.value }
            return bound.inclusive ? zero <= bound.value : zero < bound.value
        }
        var zeroPasses = true
        if let const = range.const { out["const"] = const.node; zeroPasses = const == .zeroValue }
        if let low = range.above, let high = range.below, low.value > high.value {
            out["anyOf"] = .array([.object(keywords(high, lower: false)), .object(keywords(low, lower: true))])
            zeroPasses = zeroPasses && (passes(high, lower: false) || passes(low, lower: true))
        } else {
            for (bound, lower) in [(range.above, true), (range.below, false)] {
                guard let bound else { continue }
                out.merge(keywords(bound, lower: lower)) { $1 }
                zeroPasses = zeroPasses && passes(bound, lower: lower)
            }
        }
        if !range.in.isEmpty { out["enum"] = .array(range.in.map(\.node)); zeroPasses = zeroPasses && range.in.contains(.zeroValue) }
        if !range.notIn.isEmpty { out["not"] = .object(["enum": .array(range.notIn.map(\.node))]); zeroPasses = zeroPasses && !range.notIn.contains(.zeroValue) }
        return (out, !zeroPasses)
    }

    /// The JSON zero value of a singular scalar field, for `ignore: IGNORE_IF_ZERO_VALUE`.
    static func zero(of field: FieldDescriptor) -> DocumentNode? {
        guard !field.isRepeated, !field.isMap else { return nil }
        switch field.type {
        case .string: return .string("")
        case .bool: return .bool(false)
        case .enum: return field.enumType?.values.first.map { .string($0.name) }
        case .float, .double, .int32, .sint32, .sfixed32, .uint32, .fixed32: return .integer(0)
        default: return nil
        }
    }

    /// Whether a protovalidate pattern matches the empty string (unknown: assumed it does).
    static func matchesEmpty(_ pattern: String) -> Bool {
        guard let source = try? RE2Pattern.swiftSource(pattern), let regex = try? Regex(source) else { return true }
        return (try? regex.firstMatch(in: "")) != nil
    }

    /// `text` with the regex metacharacters escaped.
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            if "\\^$.|?*+()[]{}/".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }
}

/// A rule value as a document number.
protocol DocumentValue {
    var node: DocumentNode { get }
    static var zeroValue: Self { get }
}

extension DocumentValue where Self: BinaryInteger {
    var node: DocumentNode { .integer(String(self)) }
    static var zeroValue: Self { 0 }
}

extension Int32: DocumentValue {}
extension UInt32: DocumentValue {}

extension Float: DocumentValue {
    /// The float's shortest decimal text read as a double (`0.1`, not `0.10000000149011612`).
    var node: DocumentNode { .number(Double("\(self)") ?? Double(self)) }
    static var zeroValue: Float { 0 }
}

extension Double: DocumentValue {
    var node: DocumentNode { .number(self) }
    static var zeroValue: Double { 0 }
}
