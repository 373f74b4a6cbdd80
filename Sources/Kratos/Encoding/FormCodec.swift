import Foundation
import SwiftProtobuf

/// `application/x-www-form-urlencoded`: decodes into SwiftProtobuf messages
/// (``MessageBinding``) and `Decodable` types (``FormDecoder``); encodes `Encodable` values by
/// flattening their JSON form (`a.b=…`, repeated keys for arrays), and messages as a go-kratos
/// server's form decoder reads them (see ``encodeMessage(_:)``).
public struct FormCodec: Codec {
    public let name = "x-www-form-urlencoded"
    public let contentType = "application/x-www-form-urlencoded"

    public init() {}

    public func encode(_ value: any Sendable) throws -> [UInt8] {
        if let message = value as? any SwiftProtobuf.Message {
            return Array(try Self.encodeMessage(message).encoded.utf8)
        }
        guard let encodable = value as? any Encodable else { throw unsupported(value) }
        var parameters = QueryParameters()
        Self.flatten(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(encodable)), prefix: "", into: &parameters)
        return Array(parameters.encoded.utf8)
    }

    /// A message's populated fields as parameters a go-kratos server (and ours) binds back into
    /// the same message, sorted by key as Go's `url.Values` are: proto names, `a.b` for fields of
    /// singular messages, one `k=v` per element of a repeated field, `m[key]=v` for maps, the
    /// protojson text of scalars and well-known types (`1.5s`, RFC 3339, enum names, base64),
    /// `Struct` and `Value` as JSON text (a string `Value` as itself). What go-kratos's form
    /// decoder cannot read is left out, as its encoder leaves it out: repeated messages, maps of
    /// messages, `ListValue`.
    public static func encodeMessage(_ message: any SwiftProtobuf.Message) throws -> QueryParameters {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        let json = try JSONDecoder().decode(JSONValue.self, from: message.jsonUTF8Data(options: options))
        var parameters = QueryParameters()
        flatten(json, schema: .of(type(of: message)), prefix: "", into: &parameters)
        return QueryParameters(parameters.pairs.enumerated().sorted {
            ($0.element.key, $0.offset) < ($1.element.key, $1.offset)
        }.map(\.element))
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

    private static func flatten(_ value: JSONValue, schema: MessageSchema, prefix: String, into parameters: inout QueryParameters) {
        guard case .object(let object) = value else { return }
        for (key, member) in object {
            guard let field = schema.fields[key] else { continue }
            let name = prefix + key
            switch field.kind {
            case .map(_, let valueKind):
                if case .message = valueKind { continue }
                guard case .object(let entries) = member else { continue }
                for (entryKey, entry) in entries { parameters.append("\(name)[\(entryKey)]", entry.text) }
            case .message(let type) where !UnpopulatedFields.isWellKnown(type):
                guard !field.isRepeated else { continue }
                flatten(member, schema: .of(type), prefix: name + ".", into: &parameters)
            case .message(let type) where type.protoMessageName == "google.protobuf.ListValue":
                // go-kratos's form decoder refuses a ListValue.
                continue
            case .message(let type) where ["google.protobuf.Struct", "google.protobuf.Value"].contains(type.protoMessageName):
                // JSON text, which both decoders read; a string Value as itself (go-kratos reads every Value as a string).
                for element in field.isRepeated ? member.elements : [member] {
                    if case .string(let text) = element { parameters.append(name, text) } else { parameters.append(name, element.json) }
                }
            default:
                for element in field.isRepeated ? member.elements : [member] { parameters.append(name, element.text) }
            }
        }
    }

    private static func flatten(_ value: JSONValue, prefix: String, into parameters: inout QueryParameters) {
        switch value {
        case .object(let object):
            for (key, member) in object.sorted(by: { $0.key < $1.key }) {
                flatten(member, prefix: prefix.isEmpty ? key : prefix + "." + key, into: &parameters)
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

extension JSONValue {
    /// The elements of an array; any other value alone.
    var elements: [JSONValue] {
        if case .array(let values) = self { return values }
        return [self]
    }

    /// A scalar as form text: strings unquoted, numbers as written, bools as true/false.
    var text: String {
        switch self {
        case .string(let text), .number(let text): text
        case .bool(let bool): bool ? "true" : "false"
        case .null: ""
        case .array, .object: json
        }
    }

    /// The value as compact JSON, object keys sorted.
    var json: String {
        switch self {
        case .null: "null"
        case .bool(let bool): bool ? "true" : "false"
        case .number(let text): text
        case .string(let text): JSONString.quoted(text)
        case .array(let values): "[" + values.map(\.json).joined(separator: ",") + "]"
        case .object(let members):
            "{" + members.sorted { $0.key < $1.key }.map { JSONString.quoted($0.key) + ":" + $0.value.json }.joined(separator: ",") + "}"
        }
    }
}
