import Foundation
import Synchronization
import SwiftProtobuf

/// The fields of a generated SwiftProtobuf message type: names (proto and JSON), numbers and kinds.
///
/// SwiftProtobuf keeps field names internal, so the schema is learned from the generated code
/// itself: a probing `SwiftProtobuf.Decoder` offers every field number and records which decode
/// call the message makes for it (that call carries the field's type); then each field is set
/// alone and the message's protojson names it. Learned once per type and cached.
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
    }

    struct Field: Sendable {
        let number: Int
        let protoName: String
        let jsonName: String
        let kind: Kind
        let isRepeated: Bool
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
        var probe = SchemaProbe(numbers: Array(1...probeLimit), setting: false)
        var message = type.init()
        try? message.decodeMessage(decoder: &probe)
        var fields: [String: Field] = [:]
        for (number, found) in probe.found.sorted(by: { $0.key < $1.key }) {
            var setter = SchemaProbe(numbers: [number], setting: true)
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

/// A decoder that offers field numbers to a message and records the type of each field the
/// message asks to decode; with `setting`, it also stores a non-default sample value.
private struct SchemaProbe: SwiftProtobuf.Decoder {
    var numbers: [Int]
    let setting: Bool
    var index = 0
    var current = 0
    var found: [Int: (kind: MessageSchema.Kind, repeated: Bool)] = [:]

    init(numbers: [Int], setting: Bool) {
        self.numbers = numbers
        self.setting = setting
    }

    mutating func handleConflictingOneOf() throws {}

    mutating func nextFieldNumber() throws -> Int? {
        guard index < numbers.count else { return nil }
        current = numbers[index]
        index += 1
        return current
    }

    private mutating func note(_ kind: MessageSchema.Kind, repeated: Bool = false) {
        found[current] = (kind, repeated)
    }

    private mutating func one<T>(_ kind: MessageSchema.Kind, _ value: inout T, _ sample: T) {
        note(kind)
        if setting { value = sample }
    }

    private mutating func one<T>(_ kind: MessageSchema.Kind, _ value: inout T?, _ sample: T) {
        note(kind)
        if setting { value = sample }
    }

    private mutating func many<T>(_ kind: MessageSchema.Kind, _ value: inout [T], _ sample: T) {
        note(kind, repeated: true)
        if setting { value = [sample] }
    }

    mutating func decodeSingularFloatField(value: inout Float) throws { one(.float, &value, 1) }
    mutating func decodeSingularFloatField(value: inout Float?) throws { one(.float, &value, 1) }
    mutating func decodeRepeatedFloatField(value: inout [Float]) throws { many(.float, &value, 1) }
    mutating func decodeSingularDoubleField(value: inout Double) throws { one(.float, &value, 1) }
    mutating func decodeSingularDoubleField(value: inout Double?) throws { one(.float, &value, 1) }
    mutating func decodeRepeatedDoubleField(value: inout [Double]) throws { many(.float, &value, 1) }
    mutating func decodeSingularInt32Field(value: inout Int32) throws { one(.integer, &value, 1) }
    mutating func decodeSingularInt32Field(value: inout Int32?) throws { one(.integer, &value, 1) }
    mutating func decodeRepeatedInt32Field(value: inout [Int32]) throws { many(.integer, &value, 1) }
    mutating func decodeSingularInt64Field(value: inout Int64) throws { one(.integer, &value, 1) }
    mutating func decodeSingularInt64Field(value: inout Int64?) throws { one(.integer, &value, 1) }
    mutating func decodeRepeatedInt64Field(value: inout [Int64]) throws { many(.integer, &value, 1) }
    mutating func decodeSingularUInt32Field(value: inout UInt32) throws { one(.integer, &value, 1) }
    mutating func decodeSingularUInt32Field(value: inout UInt32?) throws { one(.integer, &value, 1) }
    mutating func decodeRepeatedUInt32Field(value: inout [UInt32]) throws { many(.integer, &value, 1) }
    mutating func decodeSingularUInt64Field(value: inout UInt64) throws { one(.integer, &value, 1) }
    mutating func decodeSingularUInt64Field(value: inout UInt64?) throws { one(.integer, &value, 1) }
    mutating func decodeRepeatedUInt64Field(value: inout [UInt64]) throws { many(.integer, &value, 1) }
    mutating func decodeSingularSInt32Field(value: inout Int32) throws { one(.integer, &value, 1) }
    mutating func decodeSingularSInt32Field(value: inout Int32?) throws { one(.integer, &value, 1) }
    mutating func decodeRepeatedSInt32Field(value: inout [Int32]) throws { many(.integer, &value, 1) }
    mutating func decodeSingularSInt64Field(value: inout Int64) throws { one(.integer, &value, 1) }
    mutating func decodeSingularSInt64Field(value: inout Int64?) throws { one(.integer, &value, 1) }
    mutating func decodeRepeatedSInt64Field(value: inout [Int64]) throws { many(.integer, &value, 1) }
    mutating func decodeSingularFixed32Field(value: inout UInt32) throws { one(.integer, &value, 1) }
    mutating func decodeSingularFixed32Field(value: inout UInt32?) throws { one(.integer, &value, 1) }
    mutating func decodeRepeatedFixed32Field(value: inout [UInt32]) throws { many(.integer, &value, 1) }
    mutating func decodeSingularFixed64Field(value: inout UInt64) throws { one(.integer, &value, 1) }
    mutating func decodeSingularFixed64Field(value: inout UInt64?) throws { one(.integer, &value, 1) }
    mutating func decodeRepeatedFixed64Field(value: inout [UInt64]) throws { many(.integer, &value, 1) }
    mutating func decodeSingularSFixed32Field(value: inout Int32) throws { one(.integer, &value, 1) }
    mutating func decodeSingularSFixed32Field(value: inout Int32?) throws { one(.integer, &value, 1) }
    mutating func decodeRepeatedSFixed32Field(value: inout [Int32]) throws { many(.integer, &value, 1) }
    mutating func decodeSingularSFixed64Field(value: inout Int64) throws { one(.integer, &value, 1) }
    mutating func decodeSingularSFixed64Field(value: inout Int64?) throws { one(.integer, &value, 1) }
    mutating func decodeRepeatedSFixed64Field(value: inout [Int64]) throws { many(.integer, &value, 1) }
    mutating func decodeSingularBoolField(value: inout Bool) throws { one(.bool, &value, true) }
    mutating func decodeSingularBoolField(value: inout Bool?) throws { one(.bool, &value, true) }
    mutating func decodeRepeatedBoolField(value: inout [Bool]) throws { many(.bool, &value, true) }
    mutating func decodeSingularStringField(value: inout String) throws { one(.string, &value, "x") }
    mutating func decodeSingularStringField(value: inout String?) throws { one(.string, &value, "x") }
    mutating func decodeRepeatedStringField(value: inout [String]) throws { many(.string, &value, "x") }
    mutating func decodeSingularBytesField(value: inout Data) throws { one(.bytes, &value, Data([1])) }
    mutating func decodeSingularBytesField(value: inout Data?) throws { one(.bytes, &value, Data([1])) }
    mutating func decodeRepeatedBytesField(value: inout [Data]) throws { many(.bytes, &value, Data([1])) }

    mutating func decodeSingularEnumField<E: SwiftProtobuf.Enum>(value: inout E) throws where E.RawValue == Int {
        one(.enumeration, &value, E(rawValue: 1) ?? E())
    }
    mutating func decodeSingularEnumField<E: SwiftProtobuf.Enum>(value: inout E?) throws where E.RawValue == Int {
        one(.enumeration, &value, E(rawValue: 1) ?? E())
    }
    mutating func decodeRepeatedEnumField<E: SwiftProtobuf.Enum>(value: inout [E]) throws where E.RawValue == Int {
        many(.enumeration, &value, E(rawValue: 1) ?? E())
    }
    mutating func decodeSingularMessageField<M: SwiftProtobuf.Message>(value: inout M?) throws {
        one(.message(M.self), &value, M())
    }
    mutating func decodeRepeatedMessageField<M: SwiftProtobuf.Message>(value: inout [M]) throws {
        many(.message(M.self), &value, M())
    }
    mutating func decodeSingularGroupField<G: SwiftProtobuf.Message>(value: inout G?) throws {
        one(.message(G.self), &value, G())
    }
    mutating func decodeRepeatedGroupField<G: SwiftProtobuf.Message>(value: inout [G]) throws {
        many(.message(G.self), &value, G())
    }

    mutating func decodeMapField<KeyType, ValueType: MapValueType>(
        fieldType: _ProtobufMap<KeyType, ValueType>.Type,
        value: inout _ProtobufMap<KeyType, ValueType>.BaseType
    ) throws {
        note(.map(key: Self.kind(of: KeyType.self), value: Self.kind(of: ValueType.self)))
        if setting { value = [KeyType.proto3DefaultValue: ValueType.proto3DefaultValue] }
    }

    mutating func decodeMapField<KeyType, ValueType>(
        fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type,
        value: inout _ProtobufEnumMap<KeyType, ValueType>.BaseType
    ) throws where ValueType.RawValue == Int {
        note(.map(key: Self.kind(of: KeyType.self), value: .enumeration))
        if setting { value = [KeyType.proto3DefaultValue: ValueType()] }
    }

    mutating func decodeMapField<KeyType, ValueType>(
        fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type,
        value: inout _ProtobufMessageMap<KeyType, ValueType>.BaseType
    ) throws {
        note(.map(key: Self.kind(of: KeyType.self), value: .message(ValueType.self)))
        if setting { value = [KeyType.proto3DefaultValue: ValueType()] }
    }

    mutating func decodeExtensionField(values: inout ExtensionFieldValueSet, messageType: any SwiftProtobuf.Message.Type, fieldNumber: Int) throws {}

    /// The kind of a scalar map key or value type.
    static func kind(of type: any FieldType.Type) -> MessageSchema.Kind {
        switch type {
        case is ProtobufBool.Type: .bool
        case is ProtobufString.Type: .string
        case is ProtobufBytes.Type: .bytes
        case is ProtobufFloat.Type, is ProtobufDouble.Type: .float
        default: .integer
        }
    }
}
