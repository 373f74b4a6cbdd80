import Foundation
import Synchronization
import SwiftProtobuf

/// The fields of a generated SwiftProtobuf message type: names (proto and JSON), numbers and kinds.
///
/// SwiftProtobuf keeps field names internal, so the schema is learned from the generated code
/// itself: a probing ``FieldDecoder`` offers every field number and records which decode call the
/// message makes for it (that call carries the field's type); then each field is set alone and
/// the message's protojson names it. Learned once per type and cached.
struct MessageSchema: Sendable {
    indirect enum Kind: Sendable {
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

    struct Field: Sendable {
        let number: Int
        let protoName: String
        let jsonName: String
        let kind: Kind
        let isRepeated: Bool
        /// For enum fields: the values the enum defines, by name and by number.
        var enumValues: EnumValues? = nil

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
    struct EnumValues: Sendable {
        let names: [String: Int]
        let numbers: Set<Int>

        /// Whether `text` is a defined number or a known name; nil when it is a name not seen
        /// (the default value's name is never written by protojson, so it is checked by decoding).
        func accepts(_ text: String) -> Bool? {
            if names[text] != nil { return true }
            if let number = Int(text) { return numbers.contains(number) }
            return nil
        }
    }

    /// The message type it describes.
    let type: any SwiftProtobuf.Message.Type
    /// By proto name and by JSON name.
    let fields: [String: Field]

    /// The highest field number probed. Field numbers above it (rare outside extensions) are not bound.
    static let probeLimit = 4096

    private static let cache = Mutex<[ObjectIdentifier: MessageSchema]>([:])

    static func of(_ type: any SwiftProtobuf.Message.Type) -> MessageSchema {
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
            if let numbers = probe.enumNumbers[number] {
                field.enumValues = enumValues(type, field: number, numbers: numbers)
            }
            fields[protoName] = field
            fields[jsonName] = field
        }
        return MessageSchema(type: type, fields: fields)
    }

    /// Each defined number's name, read from the protojson of a message holding it.
    private static func enumValues(_ type: any SwiftProtobuf.Message.Type, field: Int, numbers: [Int]) -> EnumValues {
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
        return EnumValues(names: names, numbers: Set(numbers))
    }

    private static func firstKey(_ json: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        return object.keys.first
    }
}
