import Foundation
import SwiftProtobuf

/// `application/x-www-form-urlencoded`: decodes into SwiftProtobuf messages
/// (``MessageBinding``) and `Decodable` types (``FormDecoder``); encodes messages and `Encodable`
/// values by flattening their JSON form (`a.b=…`, repeated keys for arrays).
public struct FormCodec: Codec {
    public let name = "x-www-form-urlencoded"
    public let contentType = "application/x-www-form-urlencoded"

    public init() {}

    public func encode(_ value: any Sendable) throws -> [UInt8] {
        let json: Data
        if let message = value as? any SwiftProtobuf.Message {
            var options = JSONEncodingOptions()
            options.preserveProtoFieldNames = true
            json = try message.jsonUTF8Data(options: options)
        } else if let encodable = value as? any Encodable {
            json = try JSONEncoder().encode(encodable)
        } else {
            throw unsupported(value)
        }
        var parameters = QueryParameters()
        Self.flatten(try JSONDecoder().decode(JSONValue.self, from: json), prefix: "", into: &parameters)
        return Array(parameters.encoded.utf8)
    }

    public func decode<T>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let parameters = QueryParameters(bytes: bytes)
        if let messageType = type as? any SwiftProtobuf.Message.Type {
            return try decoded(MessageBinding.decode(messageType, from: parameters), as: type)
        }
        if let decodableType = type as? any Decodable.Type {
            return try decoded(FormDecoder().decode(decodableType, from: parameters), as: type)
        }
        throw cannotDecode(type)
    }

    private static func flatten(_ value: JSONValue, prefix: String, into parameters: inout QueryParameters) {
        switch value {
        case .object(let object):
            for key in object.keys.sorted() {
                flatten(object[key]!, prefix: prefix.isEmpty ? key : prefix + "." + key, into: &parameters)
            }
        case .array(let array):
            for element in array { flatten(element, prefix: prefix, into: &parameters) }
        case .bool(let bool): parameters.append(prefix, bool ? "true" : "false")
        case .number(let text), .string(let text): parameters.append(prefix, text)
        case .null: break
        }
    }
}

/// Any JSON value, numbers kept as their text.
enum JSONValue: Decodable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Swift.Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let bool = try? container.decode(Bool.self) {
            self = .bool(bool)
        } else if let int = try? container.decode(Int64.self) {
            self = .number(String(int))
        } else if let double = try? container.decode(Double.self) {
            self = .number(String(double))
        } else if let string = try? container.decode(String.self) {
            self = .string(string)
        } else if let array = try? container.decode([JSONValue].self) {
            self = .array(array)
        } else {
            self = .object(try container.decode([String: JSONValue].self))
        }
    }
}
