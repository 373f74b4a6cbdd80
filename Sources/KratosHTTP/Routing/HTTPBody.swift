import Foundation
import Kratos
import NIOCore
import SwiftProtobuf

/// `google.api.HttpBody` (`content_type` = 1, `data` = 2, `extensions` = 3) as a raw request or
/// reply body, whichever Swift type a service's generated code has for it: the request's bytes
/// and `Content-Type` become the message, and a reply message's `data` goes out as the body,
/// labelled with its `content_type`.
enum HTTPBody {
    /// The protobuf name generated code registers raw-body routes for.
    static let messageName = "google.api.HttpBody"

    /// A `google.api.HttpBody` of type `M` carrying `body` and `contentType`.
    /// - Throws: 400 `CODEC` when `M` is not `google.api.HttpBody`.
    static func message<M: SwiftProtobuf.Message>(_: M.Type, contentType: String, body: ByteBuffer?) throws -> M {
        guard M.protoMessageName == messageName else {
            throw KratosError.internalServer("NOT_HTTP_BODY", "\(M.protoMessageName) is not \(messageName)")
        }
        let type = Array(contentType.utf8)
        let length = body?.readableBytes ?? 0
        // The message's wire form, decoded once: field 1 (string) and field 2 (bytes).
        var wire: [UInt8] = []
        wire.reserveCapacity(type.count + length + 24)
        append(field: 1, type, to: &wire)
        if let body, length > 0 {
            appendTag(field: 2, length: length, to: &wire)
            wire.append(contentsOf: body.readableBytesView)
        }
        return try M(serializedBytes: wire)
    }

    /// The `content_type` and `data` of a `google.api.HttpBody` message (`data` as the message
    /// holds it: not copied).
    static func parts(of message: some SwiftProtobuf.Message) throws -> (contentType: String, data: Data) {
        var reader = PartsReader()
        try message.traverse(visitor: &reader)
        return (reader.contentType, reader.data)
    }

    private static func append(field: Int, _ bytes: [UInt8], to wire: inout [UInt8]) {
        guard !bytes.isEmpty else { return }
        appendTag(field: field, length: bytes.count, to: &wire)
        wire.append(contentsOf: bytes)
    }

    private static func appendTag(field: Int, length: Int, to wire: inout [UInt8]) {
        wire.append(UInt8(field << 3 | 2))
        var rest = UInt64(length)
        while rest >= 0x80 {
            wire.append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        wire.append(UInt8(rest))
    }

    /// Reads fields 1 and 2 of a message as it visits them; ignores the rest.
    private struct PartsReader: SwiftProtobuf.Visitor {
        var contentType = ""
        var data = Data()

        mutating func visitSingularStringField(value: String, fieldNumber: Int) throws {
            if fieldNumber == 1 { contentType = value }
        }

        mutating func visitSingularBytesField(value: Data, fieldNumber: Int) throws {
            if fieldNumber == 2 { data = value }
        }

        mutating func visitSingularDoubleField(value: Double, fieldNumber: Int) throws {}
        mutating func visitSingularInt64Field(value: Int64, fieldNumber: Int) throws {}
        mutating func visitSingularUInt64Field(value: UInt64, fieldNumber: Int) throws {}
        mutating func visitSingularBoolField(value: Bool, fieldNumber: Int) throws {}
        mutating func visitSingularEnumField<E: SwiftProtobuf.Enum>(value: E, fieldNumber: Int) throws {}
        mutating func visitSingularMessageField<M: SwiftProtobuf.Message>(value: M, fieldNumber: Int) throws {}
        mutating func visitSingularGroupField<G: SwiftProtobuf.Message>(value: G, fieldNumber: Int) throws {}
        mutating func visitUnknown(bytes: Data) throws {}

        mutating func visitMapField<KeyType, ValueType: MapValueType>(
            fieldType: _ProtobufMap<KeyType, ValueType>.Type, value: _ProtobufMap<KeyType, ValueType>.BaseType, fieldNumber: Int
        ) throws {}

        mutating func visitMapField<KeyType, ValueType>(
            fieldType: _ProtobufEnumMap<KeyType, ValueType>.Type, value: _ProtobufEnumMap<KeyType, ValueType>.BaseType, fieldNumber: Int
        ) throws where ValueType.RawValue == Int {}

        mutating func visitMapField<KeyType, ValueType>(
            fieldType: _ProtobufMessageMap<KeyType, ValueType>.Type, value: _ProtobufMessageMap<KeyType, ValueType>.BaseType,
            fieldNumber: Int
        ) throws {}
    }
}
