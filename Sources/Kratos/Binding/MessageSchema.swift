import Foundation
import Synchronization
import SwiftProtobuf

/// The fields of a generated SwiftProtobuf message type: names (proto and JSON), numbers and kinds.
///
/// SwiftProtobuf keeps field names internal, so the schema is learned from the generated code
/// itself: a probing ``FieldDecoder`` offers every field number and records which decode call the
/// message makes for it (that call carries the field's type); then each field is set alone and
/// the message's protojson names it. Learned once per type and cached. Package-visible, so other
/// targets (KratosMCP's tool input schemas) describe messages the way binding reads them.
package struct MessageSchema: Sendable {
    package indirect enum Kind: Sendable {
        case bool
        case integer
        case float
        case string
        case bytes
        case enumeration
        case message(any SwiftProtobuf.Message.Type)
        case map(key: Kind, value: Kind)

        /// Bools, numbers, strings and bytes: set from text without protojson.
        var isScalar: Bool {
            switch self {
            case .bool, .integer, .float, .string, .bytes: true
            case .enumeration, .message, .map: false
            }
        }
    }

    package struct Field: Sendable {
        package let number: Int
        package let protoName: String
        package let jsonName: String
        package let kind: Kind
        package let isRepeated: Bool
        /// Whether the field (or a map's value) is 64-bit, which protojson writes as a string.
        package var isWide = false
        /// For enum fields: the values the enum defines, by name and by number.
        package var enumValues: EnumValues? = nil
        /// The protojson of the field's value when it is not populated, as go-kratos writes it
        /// (`EmitUnpopulated`): `""`, `0`, `"0"` (64-bit), `false`, the enum's zero name, `[]`,
        /// `{}`, `null` for a message; nil for fields with presence (proto3 `optional`, oneofs),
        /// which are left out.
        var unpopulated: String? = nil

        /// Whether `value` can be set without protojson: scalars, and enums given by number.
        func isDirect(_ value: String) -> Bool {
            switch kind {
            case .bool, .integer, .float, .string, .bytes: true
            case .enumeration: Int32(value) != nil
            case .message, .map: false
            }
        }
    }

    /// The values an enum defines: go-kratos binds an enum from its name or a defined number only.
    package struct EnumValues: Sendable {
        package let names: [String: Int]
        package let numbers: Set<Int>

        /// The name of the zero value, when known.
        var zeroName: String? { names.first { $0.value == 0 }?.key }

        /// Whether `text` is a defined number or a known name; nil when it is a name not seen
        /// (the default value's name is never written by protojson, so it is checked by decoding).
        func accepts(_ text: String) -> Bool? {
            if names[text] != nil { return true }
            if let number = Int(text) { return numbers.contains(number) }
            return nil
        }
    }

    /// The message type it describes.
    package let type: any SwiftProtobuf.Message.Type
    /// By proto name and by JSON name.
    let fields: [String: Field]
    /// Each field once, by number.
    package let ordered: [Field]

    /// The highest field number probed. Field numbers above it (rare outside extensions) are not bound.
    static let probeLimit = 4096

    private static let cache = Mutex<[ObjectIdentifier: MessageSchema]>([:])

    package static func of(_ type: any SwiftProtobuf.Message.Type) -> MessageSchema {
        if let cached = cache.withLock({ $0[ObjectIdentifier(type)] }) { return cached }
        let schema = learn(type)
        cache.withLock { $0[ObjectIdentifier(type)] = schema }
        return schema
    }

    private static func learn(_ type: any SwiftProtobuf.Message.Type) -> MessageSchema {
        var probe = FieldDecoder(numbers: Array(1...probeLimit), action: .probe)
        var message = type.init()
        try? message.decodeMessage(decoder: &probe)
        var fields: [String: Field] = [:]
        var ordered: [Field] = []
        for (number, found) in probe.found.sorted(by: { $0.key < $1.key }) {
            var setter = FieldDecoder(numbers: [number], action: .sample)
            var sample = type.init()
            try? sample.decodeMessage(decoder: &setter)
            var options = JSONEncodingOptions()
            let jsonName = (try? sample.jsonString(options: options)).flatMap(firstKey)
            options.preserveProtoFieldNames = true
            let protoName = (try? sample.jsonString(options: options)).flatMap(firstKey)
            guard let jsonName, let protoName else { continue }
            var field = Field(number: number, protoName: protoName, jsonName: jsonName, kind: found.kind, isRepeated: found.repeated)
            field.isWide = probe.wide.contains(number)
            if let numbers = probe.enumNumbers[number] {
                field.enumValues = enumValues(type, field: number, numbers: numbers, zero: probe.enumZero[number],
                                              jsonName: jsonName, repeated: found.repeated)
            }
            field.unpopulated = unpopulated(field, presence: probe.presence.contains(number), wide: probe.wide.contains(number),
                                            inOneof: isOneofMessage(type, field: number))
            fields[protoName] = field
            fields[jsonName] = field
            ordered.append(field)
        }
        return MessageSchema(type: type, fields: fields, ordered: ordered)
    }

    /// What go-kratos's protojson (`EmitUnpopulated`) writes for the field when it is not set.
    private static func unpopulated(_ field: Field, presence: Bool, wide: Bool, inOneof: Bool) -> String? {
        if case .map = field.kind { return "{}" }
        if field.isRepeated { return "[]" }
        switch field.kind {
        case .message: return inOneof ? nil : "null"
        case _ where presence: return nil
        case .bool: return "false"
        case .string, .bytes: return "\"\""
        case .integer: return wide ? "\"0\"" : "0"
        case .float: return "0"
        case .enumeration: return field.enumValues?.zeroName.map(JSONString.quoted) ?? "0"
        case .map: return "{}"
        }
    }

    /// Whether a message field is a oneof member: set it, decode it again, and see whether the
    /// message reports a conflicting oneof (generated code does so for a oneof already holding a value).
    private static func isOneofMessage(_ type: any SwiftProtobuf.Message.Type, field: Int) -> Bool {
        var setter = FieldDecoder(numbers: [field], action: .sample)
        var sample = type.init()
        try? sample.decodeMessage(decoder: &setter)
        var again = FieldDecoder(numbers: [field], action: .sample)
        try? sample.decodeMessage(decoder: &again)
        return again.conflictingOneof
    }

    /// Each defined number's name, read from the protojson of a message holding it. A singular
    /// field's zero value is never written, so its name is guessed from the Swift names
    /// (SwiftProtobuf drops the enum's prefix and camel-cases: COLOR_UNSPECIFIED → unspecified)
    /// and kept only if protojson decodes it to zero.
    private static func enumValues(_ type: any SwiftProtobuf.Message.Type, field: Int, numbers: [Int],
                                   zero: (caseName: String, typeName: String)?, jsonName: String, repeated: Bool) -> EnumValues {
        var names: [String: Int] = [:]
        for number in numbers {
            var setter = FieldDecoder(numbers: [field], action: .sampleEnum(number))
            var sample = type.init()
            try? sample.decodeMessage(decoder: &setter)
            var options = JSONEncodingOptions()
            options.alwaysPrintEnumsAsInts = false
            guard let json = try? sample.jsonString(options: options),
                  let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any],
                  let value = object.values.first else {
                // The default value is not written: its name stays unknown, its number is accepted.
                continue
            }
            if let name = value as? String ?? (value as? [Any])?.first as? String { names[name] = number }
        }
        if numbers.contains(0), !names.values.contains(0), let zero {
            let value = screamingSnake(zero.caseName)
            let prefix = screamingSnake(String(zero.typeName.split(separator: "_").last ?? Substring(zero.typeName)))
            for candidate in [prefix + "_" + value, value] {
                var options = JSONDecodingOptions()
                options.ignoreUnknownFields = false
                let text = JSONString.quoted(candidate)
                let probe = "{" + JSONString.quoted(jsonName) + ":" + (repeated ? "[" + text + "]" : text) + "}"
                if let decoded = try? type.init(jsonString: probe, options: options), repeated || decoded.isEqualTo(message: type.init()) {
                    names[candidate] = 0
                    break
                }
            }
        }
        return EnumValues(names: names, numbers: Set(numbers))
    }

    /// `colorUnspecified` → `COLOR_UNSPECIFIED`, `v2Beta` → `V2_BETA`.
    private static func screamingSnake(_ name: String) -> String {
        var out = ""
        for char in name {
            if char.isUppercase, !out.isEmpty, out.last != "_" { out.append("_") }
            out.append(contentsOf: char.uppercased())
        }
        return out
    }

    private static func firstKey(_ json: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        return object.keys.first
    }
}
