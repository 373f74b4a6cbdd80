import Foundation
import SwiftProtobuf

/// Protojson for plain messages, written straight into bytes.
///
/// SwiftProtobuf's JSON encoder looks up, with dynamic casts, whether each message has a custom
/// JSON form on every call; for a small reply that is most of the encoding. Messages made of
/// strings, bools, integers and nested or repeated plain messages are written here instead,
/// byte for byte as SwiftProtobuf writes them with default options. Anything else (enums,
/// floating point, bytes, maps, well-known types, extensions) is left to SwiftProtobuf, and a
/// type found to need it goes there directly from then on.
///
/// With `emitUnpopulated` (go-kratos's JSON codec), fields left unset are written too, with
/// their unpopulated values, in the places ``UnpopulatedFields`` adds them to SwiftProtobuf's
/// output: the two agree byte for byte.
enum ProtoJSONWriter {
    /// The reply's protojson: written here when the type is plain, else by SwiftProtobuf.
    static func encode<M: SwiftProtobuf.Message>(_ message: M, emitUnpopulated: Bool = false) throws -> [UInt8] {
        if let keys = Keys.of(M.self) {
            var visitor = Visitor(keys: keys, emitUnpopulated: emitUnpopulated)
            do {
                try visitor.write(message)
                return visitor.bytes
            } catch is Unsupported {
                Keys.markUnsupported(M.self)
            }
        }
        return try fallback(message, emitUnpopulated: emitUnpopulated)
    }

    /// SwiftProtobuf's protojson, with the unpopulated fields added when asked.
    static func fallback<M: SwiftProtobuf.Message>(_ message: M, options: JSONEncodingOptions = JSONEncodingOptions(),
                                                 emitUnpopulated: Bool) throws -> [UInt8] {
        let bytes: [UInt8] = try message.jsonUTF8Bytes(options: options)
        guard emitUnpopulated else { return bytes }
        return try UnpopulatedFields.fill(bytes, type: M.self, protoNames: options.preserveProtoFieldNames)
    }

    /// A field this writer leaves to SwiftProtobuf.
    struct Unsupported: Error {}

    struct Visitor: SwiftProtobuf.Visitor {
        private(set) var bytes: [UInt8] = []
        private var keys: Keys
        private var first = true
        private let emitUnpopulated: Bool
        /// The next of `keys.defaults` not yet written or passed.
        private var pending = 0

        init(keys: Keys, emitUnpopulated: Bool = false) {
            self.keys = keys
            self.emitUnpopulated = emitUnpopulated
            bytes.reserveCapacity(64)
        }

        mutating func write<M: SwiftProtobuf.Message>(_ message: M) throws {
            bytes.append(UInt8(ascii: "{"))
            try message.traverse(visitor: &self)
            if emitUnpopulated { writeDefaults(before: Int.max) }
            bytes.append(UInt8(ascii: "}"))
        }

        /// The unpopulated fields numbered below `number`; a default for `number` itself is passed.
        private mutating func writeDefaults(before number: Int) {
            let defaults = keys.defaults
            while pending < defaults.count, defaults[pending].number <= number {
                if defaults[pending].number < number {
                    if !first { bytes.append(UInt8(ascii: ",")) }
                    first = false
                    bytes.append(contentsOf: defaults[pending].member)
                }
                pending += 1
            }
        }

        private mutating func key(_ number: Int) throws {
            guard let key = keys.byNumber[number] else { throw Unsupported() }
            if emitUnpopulated { writeDefaults(before: number) }
            if !first { bytes.append(UInt8(ascii: ",")) }
            first = false
            bytes.append(contentsOf: key)
        }

        private mutating func bool(_ value: Bool) {
            if value {
                bytes.append(contentsOf: [UInt8(ascii: "t"), UInt8(ascii: "r"), UInt8(ascii: "u"), UInt8(ascii: "e")])
            } else {
                bytes.append(contentsOf: [UInt8(ascii: "f"), UInt8(ascii: "a"), UInt8(ascii: "l"), UInt8(ascii: "s"), UInt8(ascii: "e")])
            }
        }

        private mutating func number(_ value: some BinaryInteger, quoted: Bool) {
            if quoted { bytes.append(UInt8(ascii: "\"")) }
            bytes.append(contentsOf: String(value).utf8)
            if quoted { bytes.append(UInt8(ascii: "\"")) }
        }

        /// A JSON string with SwiftProtobuf's escapes: the short ones, `\u00XX` for C0 and C1
        /// controls and DEL; everything else as its UTF-8.
        private mutating func string(_ value: String) {
            bytes.append(UInt8(ascii: "\""))
            var value = value
            value.withUTF8 { utf8 in
                // Runs of bytes written as they are go in one piece.
                var index = 0
                var plain = 0
                while index < utf8.count {
                    let byte = utf8[index]
                    if byte >= 0x20, byte != 34, byte != 92, byte != 127, byte != 0xC2 {
                        index += 1
                        continue
                    }
                    bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plain ..< index]))
                    index += 1
                    switch byte {
                    case 8: bytes.append(contentsOf: [0x5C, UInt8(ascii: "b")])
                    case 9: bytes.append(contentsOf: [0x5C, UInt8(ascii: "t")])
                    case 10: bytes.append(contentsOf: [0x5C, UInt8(ascii: "n")])
                    case 12: bytes.append(contentsOf: [0x5C, UInt8(ascii: "f")])
                    case 13: bytes.append(contentsOf: [0x5C, UInt8(ascii: "r")])
                    case 34, 92: bytes.append(contentsOf: [0x5C, byte])
                    case 0...31, 127: hexEscape(byte)
                    case 0xC2 where index < utf8.count && (0x80...0x9F).contains(utf8[index]):
                        // U+0080...U+009F, the C1 controls.
                        hexEscape(utf8[index])
                        index += 1
                    default: bytes.append(byte)
                    }
                    plain = index
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[plain...]))
            }
            bytes.append(UInt8(ascii: "\""))
        }

        private mutating func hexEscape(_ value: UInt8) {
            let hex: StaticString = "0123456789ABCDEF"
            hex.withUTF8Buffer { digits in
                bytes.append(contentsOf: [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), digits[Int(value >> 4)], digits[Int(value & 15)]])
            }
        }

        private mutating func array<T>(_ values: [T], _ fieldNumber: Int, _ element: (inout Self, T) throws -> Void) throws {
            try key(fieldNumber)
            bytes.append(UInt8(ascii: "["))
            for (index, value) in values.enumerated() {
                if index > 0 { bytes.append(UInt8(ascii: ",")) }
                try element(&self, value)
            }
            bytes.append(UInt8(ascii: "]"))
        }

        private mutating func nested<M: SwiftProtobuf.Message>(_ message: M) throws {
            guard let inner = Keys.of(M.self) else { throw Unsupported() }
            let (outer, wasFirst, outerPending) = (keys, first, pending)
            keys = inner
            first = true
            pending = 0
            try write(message)
            keys = outer
            first = wasFirst
            pending = outerPending
        }

        // MARK: Written here
        // SwiftProtobuf's defaults forward the rest: sint/sfixed to int, fixed to uint, float to
        // double, packed to repeated, and repeated enums, bytes and groups to their singular
        // visits; the repeated sint/sfixed/fixed ones are forwarded below (their defaults would
        // repeat the key).

        mutating func visitUnknown(bytes: Data) throws {}

        mutating func visitSingularStringField(value: String, fieldNumber: Int) throws {
            try key(fieldNumber)
            string(value)
        }

        mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws {
            try key(fieldNumber)
            bool(value)
        }

        mutating func visitSingularInt32Field(value: Int32, fieldNumber: Int) throws {
            try key(fieldNumber)
            number(value, quoted: false)
        }

        mutating func visitSingularUInt32Field(value: UInt32, fieldNumber: Int) throws {
            try key(fieldNumber)
            number(value, quoted: false)
        }

        /// 64-bit integers are JSON strings in protojson.
        mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {
            try key(fieldNumber)
            number(value, quoted: true)
        }

        mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {
            try key(fieldNumber)
            number(value, quoted: true)
        }

        mutating func visitSingularMessageField<M: SwiftProtobuf.Message>(value: M, fieldNumber: Int) throws {
            try key(fieldNumber)
            try nested(value)
        }

        mutating func visitRepeatedStringField(value: [String], fieldNumber: Int) throws {
            try array(value, fieldNumber) { $0.string($1) }
        }

        mutating func visitRepeatedBoolField(value: [Bool], fieldNumber: Int) throws {
            try array(value, fieldNumber) { $0.bool($1) }
        }

        mutating func visitRepeatedInt32Field(value: [Int32], fieldNumber: Int) throws {
            try array(value, fieldNumber) { $0.number($1, quoted: false) }
        }

        mutating func visitRepeatedSInt32Field(value: [Int32], fieldNumber: Int) throws {
            try visitRepeatedInt32Field(value: value, fieldNumber: fieldNumber)
        }

        mutating func visitRepeatedSFixed32Field(value: [Int32], fieldNumber: Int) throws {
            try visitRepeatedInt32Field(value: value, fieldNumber: fieldNumber)
        }

        mutating func visitRepeatedUInt32Field(value: [UInt32], fieldNumber: Int) throws {
            try array(value, fieldNumber) { $0.number($1, quoted: false) }
        }

        mutating func visitRepeatedFixed32Field(value: [UInt32], fieldNumber: Int) throws {
            try visitRepeatedUInt32Field(value: value, fieldNumber: fieldNumber)
        }

        mutating func visitRepeatedInt64Field(value: [Int64], fieldNumber: Int) throws {
            try array(value, fieldNumber) { $0.number($1, quoted: true) }
        }

        mutating func visitRepeatedSInt64Field(value: [Int64], fieldNumber: Int) throws {
            try visitRepeatedInt64Field(value: value, fieldNumber: fieldNumber)
        }

        mutating func visitRepeatedSFixed64Field(value: [Int64], fieldNumber: Int) throws {
            try visitRepeatedInt64Field(value: value, fieldNumber: fieldNumber)
        }

        mutating func visitRepeatedUInt64Field(value: [UInt64], fieldNumber: Int) throws {
            try array(value, fieldNumber) { $0.number($1, quoted: true) }
        }

        mutating func visitRepeatedFixed64Field(value: [UInt64], fieldNumber: Int) throws {
            try visitRepeatedUInt64Field(value: value, fieldNumber: fieldNumber)
        }

        mutating func visitRepeatedMessageField<M: SwiftProtobuf.Message>(value: [M], fieldNumber: Int) throws {
            try array(value, fieldNumber) { try $0.nested($1) }
        }

        // MARK: Left to SwiftProtobuf

        mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws { throw Unsupported() }
        mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws { throw Unsupported() }
        mutating func visitSingularEnumField<E: SwiftProtobuf.Enum>(value: E, fieldNumber: Int) throws { throw Unsupported() }
        mutating func visitSingularGroupField<G: SwiftProtobuf.Message>(value: G, fieldNumber: Int) throws { throw Unsupported() }

        mutating func visitMapField<KeyType, ValueType: MapValueType>(
            fieldType: _ProtobufMap<KeyType, ValueType>.Type, value: _ProtobufMap<KeyType, ValueType>.BaseType, fieldNumber: Int
        ) throws { throw Unsupported() }

        mutating func visitMapField<KeyType, ValueType>(
            fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type, value: _ProtobufEnumMap<KeyType, ValueType>.BaseType, fieldNumber: Int
        ) throws where ValueType.RawValue == Int { throw Unsupported() }

        mutating func visitMapField<KeyType, ValueType>(
            fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type, value: _ProtobufMessageMap<KeyType, ValueType>.BaseType, fieldNumber: Int
        ) throws { throw Unsupported() }

        mutating func visitExtensionFields(fields: ExtensionFieldValueSet, start: Int, end: Int) throws { throw Unsupported() }
    }
}
