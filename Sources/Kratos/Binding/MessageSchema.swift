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

        /// Whether `value` can be set without protojson: scalars, and enums given by number.
        func isDirect(_ value: String) -> Bool {
            switch kind {
            case .bool, .integer, .float, .string, .bytes: true
            case .enumeration: Int32(value) != nil
            case .message, .map: false
            }
        }
    }

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
            let field = Field(number: number, protoName: protoName, jsonName: jsonName, kind: found.kind, isRepeated: found.repeated)
            fields[protoName] = field
            fields[jsonName] = field
        }
        return MessageSchema(fields: fields)
    }

    private static func firstKey(_ json: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] else { return nil }
        return object.keys.first
    }
}
