import Foundation
import SwiftProtobuf

/// Drives a generated message's own `decodeMessage` to learn or set fields by number.
///
/// SwiftProtobuf keeps field names and types internal; the generated `decodeMessage` asks its
/// decoder for each field with a typed call, which tells the field's type and lets the decoder
/// write the value in place. Actions:
/// - `probe`: offer every number in `numbers`, record each field's kind, change nothing;
/// - `sample`: set a non-default sample value (so protojson names the field);
/// - `sampleEnum`: set an enum field to the given number (so protojson names the value);
/// - `assign`: set the field from query-string text, parsed as the field's type.
struct FieldDecoder: SwiftProtobuf.Decoder {
    enum Action {
        case probe
        case sample
        case sampleEnum(Int)
        case assign([String], key: String)
    }

    let numbers: [Int]
    let action: Action
    var index = 0
    var current = 0
    var found: [Int: (kind: MessageSchema.Kind, repeated: Bool)] = [:]
    /// Fields decoded through an optional (`T?`) value: proto3 `optional`, oneof members, messages.
    var presence: Set<Int> = []
    /// 64-bit integer fields (protojson writes them as strings).
    var wide: Set<Int> = []
    /// Whether the message reported a second member of a oneof (a re-decoded oneof field does).
    var conflictingOneof = false
    /// The numbers each enum field's type defines (probe only).
    var enumNumbers: [Int: [Int]] = [:]
    /// Each enum field's Swift names of its zero case and of its type (probe only), from which
    /// the zero value's proto name is guessed and then checked.
    var enumZero: [Int: (caseName: String, typeName: String)] = [:]
    /// The first value that did not parse, reported after decoding.
    var failure: KratosError?

    init(numbers: [Int], action: Action) {
        self.numbers = numbers
        self.action = action
    }

    mutating func handleConflictingOneOf() throws { conflictingOneof = true }

    mutating func nextFieldNumber() throws -> Int? {
        guard index < numbers.count else { return nil }
        current = numbers[index]
        index += 1
        return current
    }

    private mutating func noteWide() {
        if case .probe = action { wide.insert(current) }
    }

    private mutating func note(_ kind: MessageSchema.Kind, repeated: Bool = false) {
        if case .assign = action { return }
        found[current] = (kind, repeated)
    }

    private mutating func parse<T>(_ text: String, _ parse: (String) -> T?, key: String, expected: String) -> T? {
        if let value = parse(text) { return value }
        if failure == nil { failure = .codec("parameter \(key): \"\(text)\" is not \(expected)") }
        return nil
    }

    private mutating func one<T>(_ kind: MessageSchema.Kind, _ value: inout T, _ sample: T, _ read: (String) -> T?, _ expected: String) {
        note(kind)
        switch action {
        case .probe: break
        case .sample, .sampleEnum: value = sample
        case .assign(let texts, let key):
            if let text = texts.last, let parsed = parse(text, read, key: key, expected: expected) { value = parsed }
        }
    }

    private mutating func one<T>(_ kind: MessageSchema.Kind, _ value: inout T?, _ sample: T, _ read: (String) -> T?, _ expected: String) {
        note(kind)
        if case .probe = action { presence.insert(current) }
        switch action {
        case .probe: break
        case .sample, .sampleEnum: value = sample
        case .assign(let texts, let key):
            if let text = texts.last, let parsed = parse(text, read, key: key, expected: expected) { value = parsed }
        }
    }

    private mutating func many<T>(_ kind: MessageSchema.Kind, _ value: inout [T], _ sample: T, _ read: (String) -> T?, _ expected: String) {
        note(kind, repeated: true)
        switch action {
        case .probe: break
        case .sample, .sampleEnum: value = [sample]
        case .assign(let texts, let key):
            for text in texts {
                if let parsed = parse(text, read, key: key, expected: expected) { value.append(parsed) }
            }
        }
    }

    private static func bool(_ text: String) -> Bool? { MessageBinding.parseBool(text) }
    private static func bytes(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
    /// An enum value by number, only if the enum defines it (proto3 would keep any number as UNRECOGNIZED).
    private static func enumeration<E: SwiftProtobuf.Enum>(_ text: String) -> E? {
        guard let number = Int(text), definedNumbers(of: E.self)?.contains(number) ?? true else { return nil }
        return E(rawValue: number)
    }

    /// The numbers `E` defines, from the generated `CaseIterable` conformance.
    static func definedNumbers<E: SwiftProtobuf.Enum>(of type: E.Type) -> [Int]? {
        guard let iterable = type as? any CaseIterable.Type else { return nil }
        return numbers(of: iterable, as: type)
    }

    private static func numbers<C: CaseIterable, E: SwiftProtobuf.Enum>(of type: C.Type, as _: E.Type) -> [Int] {
        type.allCases.compactMap { ($0 as? E)?.rawValue }
    }

    /// The sample for an enum field: the number asked for, else a non-default value.
    private func enumSample<E: SwiftProtobuf.Enum>(_ type: E.Type) -> E {
        if case .sampleEnum(let number) = action, let value = E(rawValue: number) { return value }
        return E(rawValue: 1) ?? E()
    }

    private mutating func noteEnum<E: SwiftProtobuf.Enum>(_ type: E.Type) {
        guard case .probe = action else { return }
        if let numbers = Self.definedNumbers(of: type) { enumNumbers[current] = numbers }
        enumZero[current] = (String(describing: E(rawValue: 0) ?? E()), String(describing: type))
    }

    mutating func decodeSingularFloatField(value: inout Float) throws { one(.float, &value, 1, { Float($0) }, "a number") }
    mutating func decodeSingularFloatField(value: inout Float?) throws { one(.float, &value, 1, { Float($0) }, "a number") }
    mutating func decodeRepeatedFloatField(value: inout [Float]) throws { many(.float, &value, 1, { Float($0) }, "a number") }
    mutating func decodeSingularDoubleField(value: inout Double) throws { one(.float, &value, 1, { Double($0) }, "a number") }
    mutating func decodeSingularDoubleField(value: inout Double?) throws { one(.float, &value, 1, { Double($0) }, "a number") }
    mutating func decodeRepeatedDoubleField(value: inout [Double]) throws { many(.float, &value, 1, { Double($0) }, "a number") }
    mutating func decodeSingularInt32Field(value: inout Int32) throws { one(.integer, &value, 1, { Int32($0) }, "an integer") }
    mutating func decodeSingularInt32Field(value: inout Int32?) throws { one(.integer, &value, 1, { Int32($0) }, "an integer") }
    mutating func decodeRepeatedInt32Field(value: inout [Int32]) throws { many(.integer, &value, 1, { Int32($0) }, "an integer") }
    mutating func decodeSingularInt64Field(value: inout Int64) throws { noteWide(); one(.integer, &value, 1, { Int64($0) }, "an integer") }
    mutating func decodeSingularInt64Field(value: inout Int64?) throws { noteWide(); one(.integer, &value, 1, { Int64($0) }, "an integer") }
    mutating func decodeRepeatedInt64Field(value: inout [Int64]) throws { noteWide(); many(.integer, &value, 1, { Int64($0) }, "an integer") }
    mutating func decodeSingularUInt32Field(value: inout UInt32) throws { one(.integer, &value, 1, { UInt32($0) }, "an integer") }
    mutating func decodeSingularUInt32Field(value: inout UInt32?) throws { one(.integer, &value, 1, { UInt32($0) }, "an integer") }
    mutating func decodeRepeatedUInt32Field(value: inout [UInt32]) throws { many(.integer, &value, 1, { UInt32($0) }, "an integer") }
    mutating func decodeSingularUInt64Field(value: inout UInt64) throws { noteWide(); one(.integer, &value, 1, { UInt64($0) }, "an integer") }
    mutating func decodeSingularUInt64Field(value: inout UInt64?) throws { noteWide(); one(.integer, &value, 1, { UInt64($0) }, "an integer") }
    mutating func decodeRepeatedUInt64Field(value: inout [UInt64]) throws { noteWide(); many(.integer, &value, 1, { UInt64($0) }, "an integer") }
    mutating func decodeSingularSInt32Field(value: inout Int32) throws { try decodeSingularInt32Field(value: &value) }
    mutating func decodeSingularSInt32Field(value: inout Int32?) throws { try decodeSingularInt32Field(value: &value) }
    mutating func decodeRepeatedSInt32Field(value: inout [Int32]) throws { try decodeRepeatedInt32Field(value: &value) }
    mutating func decodeSingularSInt64Field(value: inout Int64) throws { try decodeSingularInt64Field(value: &value) }
    mutating func decodeSingularSInt64Field(value: inout Int64?) throws { try decodeSingularInt64Field(value: &value) }
    mutating func decodeRepeatedSInt64Field(value: inout [Int64]) throws { try decodeRepeatedInt64Field(value: &value) }
    mutating func decodeSingularFixed32Field(value: inout UInt32) throws { try decodeSingularUInt32Field(value: &value) }
    mutating func decodeSingularFixed32Field(value: inout UInt32?) throws { try decodeSingularUInt32Field(value: &value) }
    mutating func decodeRepeatedFixed32Field(value: inout [UInt32]) throws { try decodeRepeatedUInt32Field(value: &value) }
    mutating func decodeSingularFixed64Field(value: inout UInt64) throws { try decodeSingularUInt64Field(value: &value) }
    mutating func decodeSingularFixed64Field(value: inout UInt64?) throws { try decodeSingularUInt64Field(value: &value) }
    mutating func decodeRepeatedFixed64Field(value: inout [UInt64]) throws { try decodeRepeatedUInt64Field(value: &value) }
    mutating func decodeSingularSFixed32Field(value: inout Int32) throws { try decodeSingularInt32Field(value: &value) }
    mutating func decodeSingularSFixed32Field(value: inout Int32?) throws { try decodeSingularInt32Field(value: &value) }
    mutating func decodeRepeatedSFixed32Field(value: inout [Int32]) throws { try decodeRepeatedInt32Field(value: &value) }
    mutating func decodeSingularSFixed64Field(value: inout Int64) throws { try decodeSingularInt64Field(value: &value) }
    mutating func decodeSingularSFixed64Field(value: inout Int64?) throws { try decodeSingularInt64Field(value: &value) }
    mutating func decodeRepeatedSFixed64Field(value: inout [Int64]) throws { try decodeRepeatedInt64Field(value: &value) }
    mutating func decodeSingularBoolField(value: inout Bool) throws { one(.bool, &value, true, Self.bool, "a bool (true, false, 1, 0)") }
    mutating func decodeSingularBoolField(value: inout Bool?) throws { one(.bool, &value, true, Self.bool, "a bool (true, false, 1, 0)") }
    mutating func decodeRepeatedBoolField(value: inout [Bool]) throws { many(.bool, &value, true, Self.bool, "a bool (true, false, 1, 0)") }
    mutating func decodeSingularStringField(value: inout String) throws { one(.string, &value, "x", { $0 }, "a string") }
    mutating func decodeSingularStringField(value: inout String?) throws { one(.string, &value, "x", { $0 }, "a string") }
    mutating func decodeRepeatedStringField(value: inout [String]) throws { many(.string, &value, "x", { $0 }, "a string") }
    mutating func decodeSingularBytesField(value: inout Data) throws { one(.bytes, &value, Data([1]), Self.bytes, "base64") }
    mutating func decodeSingularBytesField(value: inout Data?) throws { one(.bytes, &value, Data([1]), Self.bytes, "base64") }
    mutating func decodeRepeatedBytesField(value: inout [Data]) throws { many(.bytes, &value, Data([1]), Self.bytes, "base64") }

    mutating func decodeSingularEnumField<E: SwiftProtobuf.Enum>(value: inout E) throws where E.RawValue == Int {
        noteEnum(E.self)
        one(.enumeration, &value, enumSample(E.self), Self.enumeration, "a valid value")
    }
    mutating func decodeSingularEnumField<E: SwiftProtobuf.Enum>(value: inout E?) throws where E.RawValue == Int {
        noteEnum(E.self)
        one(.enumeration, &value, enumSample(E.self), Self.enumeration, "a valid value")
    }
    mutating func decodeRepeatedEnumField<E: SwiftProtobuf.Enum>(value: inout [E]) throws where E.RawValue == Int {
        noteEnum(E.self)
        many(.enumeration, &value, enumSample(E.self), Self.enumeration, "a valid value")
    }
    mutating func decodeSingularMessageField<M: SwiftProtobuf.Message>(value: inout M?) throws {
        one(.message(M.self), &value, Self.sampleMessage(M.self), { _ in nil }, "a field value")
    }
    mutating func decodeRepeatedMessageField<M: SwiftProtobuf.Message>(value: inout [M]) throws {
        many(.message(M.self), &value, Self.sampleMessage(M.self), { _ in nil }, "a field value")
    }

    /// A message protojson can write: an empty `google.protobuf.Value` has no JSON form.
    private static func sampleMessage<M: SwiftProtobuf.Message>(_ type: M.Type) -> M {
        if let value = Google_Protobuf_Value(stringValue: "x") as? M { return value }
        return M()
    }
    mutating func decodeSingularGroupField<G: SwiftProtobuf.Message>(value: inout G?) throws {
        one(.message(G.self), &value, G(), { _ in nil }, "a field value")
    }
    mutating func decodeRepeatedGroupField<G: SwiftProtobuf.Message>(value: inout [G]) throws {
        many(.message(G.self), &value, G(), { _ in nil }, "a field value")
    }

    mutating func decodeMapField<KeyType, ValueType: MapValueType>(
        fieldType: _ProtobufMap<KeyType, ValueType>.Type,
        value: inout _ProtobufMap<KeyType, ValueType>.BaseType
    ) throws {
        note(.map(key: Self.kind(of: KeyType.self), value: Self.kind(of: ValueType.self)))
        if case .sample = action { value = [KeyType.proto3DefaultValue: ValueType.proto3DefaultValue] }
    }

    mutating func decodeMapField<KeyType, ValueType>(
        fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type,
        value: inout _ProtobufEnumMap<KeyType, ValueType>.BaseType
    ) throws where ValueType.RawValue == Int {
        note(.map(key: Self.kind(of: KeyType.self), value: .enumeration))
        if case .sample = action { value = [KeyType.proto3DefaultValue: ValueType()] }
    }

    mutating func decodeMapField<KeyType, ValueType>(
        fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type,
        value: inout _ProtobufMessageMap<KeyType, ValueType>.BaseType
    ) throws {
        note(.map(key: Self.kind(of: KeyType.self), value: .message(ValueType.self)))
        if case .sample = action { value = [KeyType.proto3DefaultValue: ValueType()] }
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
