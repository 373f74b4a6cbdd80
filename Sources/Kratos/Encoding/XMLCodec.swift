import Foundation
import SwiftProtobuf

/// XML as go-kratos's `encoding/xml` writes it: `<Name><Field>value</Field>…</Name>`, no
/// `<?xml?>` declaration, no attributes. `text/xml` selects it too.
///
/// - SwiftProtobuf messages are written from their protojson: the root is the message's short
///   name (`HelloReply`), each member a child element in field-number order, arrays repeated
///   elements of the same name, nulls and empty arrays left out. Decoding rebuilds the protojson
///   with the message's field kinds (`<flag>true</flag>` a bool, `<count>3</count>` a number; an
///   empty number, bool or enum element sets nothing), ignoring the root's name and unknown elements.
/// - `Codable` values are written in their encoding order under the Swift type's name and decoded
///   with element text read as the type asks (`<V>42</V>` is an `Int` or a `String`).
/// - Members of JSON objects (map fields, dictionaries) whose key is an XML name other than
///   `entry` are written `<key>value</key>`; others `<entry><key>k</key><value>v</value></entry>`.
///   Reading inverts it: an `entry` element with a `key` child is the member of that key.
public struct XMLCodec: Codec {
    public let name = "xml"
    public let contentType = "application/xml"

    public init() {}

    public func encode<M: SwiftProtobuf.Message>(message: M) throws -> [UInt8] {
        let json = try JSONCodec().encode(message: message)
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json))
        let root = M.protoMessageName.split(separator: ".").last.map(String.init) ?? "Message"
        return try write(XMLOutput(value, kind: .message(M.self)), root: root, of: message)
    }

    public func encode(_ value: any Sendable) throws -> [UInt8] {
        if let message = value as? any SwiftProtobuf.Message {
            return try encode(message: message)
        }
        if let encodable = value as? any Encodable {
            return try write(XMLValueEncoder.output(of: encodable), root: Self.rootName(of: type(of: value)), of: value)
        }
        throw unsupported(value)
    }

    public func decode<T>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let root = try XMLDocumentReader.parse(bytes)
        do {
            if let messageType = type as? any SwiftProtobuf.Message.Type {
                guard let json = try XMLProtoJSON.value(root, kind: .message(messageType)) else { return try decoded(messageType.init(), as: type) }
                return try decoded(messageType.init(jsonUTF8Bytes: Array(json.utf8), extensions: nil, options: JSONCodec().decodingOptions), as: type)
            }
            if let decodableType = type as? any Decodable.Type {
                return try decoded(XMLValueDecoder.decode(decodableType, from: root), as: type)
            }
        } catch let error as KratosError {
            throw error
        } catch {
            throw KratosError.codec("invalid XML body: \(JSONCodec.describe(error))", cause: error)
        }
        throw cannotDecode(type)
    }

    private func write(_ output: XMLOutput?, root: String, of value: Any) throws -> [UInt8] {
        var xml = ""
        guard XMLOutput.write(output ?? .members([]), named: root, into: &xml) else {
            throw KratosError(code: 500, reason: "CODEC", message: "xml codec cannot encode \(type(of: value)): arrays of arrays or a top-level array")
        }
        return Array(xml.utf8)
    }

    /// The root element's name for a value of `type`: its name without generic arguments.
    static func rootName(of type: Any.Type) -> String {
        let name = String(String(describing: type).prefix { $0 != "<" })
        return XMLOutput.isName(name) ? name : "value"
    }

    /// `text` as a bool, with the spellings Go's `strconv.ParseBool` accepts.
    static func bool(_ text: String) -> Bool? {
        switch text {
        case "true", "True", "TRUE", "t", "T", "1": true
        case "false", "False", "FALSE", "f", "F", "0": false
        default: nil
        }
    }
}

/// What the codec writes: a JSON-shaped value with its members in order (nulls already left out).
indirect enum XMLOutput {
    case text(String)
    case members([(key: String, value: XMLOutput)])
    case list([XMLOutput])

    /// `value` (protojson) with members ordered by field number for messages, by key for maps.
    init?(_ value: JSONValue, kind: MessageSchema.Kind?) {
        switch value {
        case .null: return nil
        case .bool(let bool): self = .text(bool ? "true" : "false")
        case .number(let text), .string(let text): self = .text(text)
        case .array(let items): self = .list(items.compactMap { XMLOutput($0, kind: kind) })
        case .object(let object):
            var fields: [String: MessageSchema.Field] = [:]
            var valueKind: MessageSchema.Kind?
            switch kind {
            case .message(let type)?: fields = MessageSchema.of(type).fields
            case .map(_, let value)?: valueKind = value
            default: break
            }
            let order = { (key: String) in (fields[key]?.number ?? Int(key) ?? Int.max, key) }
            self = .members(object.keys.sorted { order($0) < order($1) }.compactMap { key in
                object[key].flatMap { XMLOutput($0, kind: fields[key]?.kind ?? valueKind) }.map { (key, $0) }
            })
        }
    }

    /// Appends `<name>…</name>` to `xml`; false for an array nested in an array or not in an object.
    static func write(_ output: XMLOutput, named name: String, into xml: inout String) -> Bool {
        xml += "<\(name)>"
        switch output {
        case .text(let text): escape(text, into: &xml)
        case .members(let members):
            for (key, value) in members {
                for item in value.items {
                    if case .list = item { return false }
                    if key != "entry", isName(key) {
                        guard write(item, named: key, into: &xml) else { return false }
                    } else {
                        xml += "<entry><key>"
                        escape(key, into: &xml)
                        xml += "</key>"
                        guard write(item, named: "value", into: &xml) else { return false }
                        xml += "</entry>"
                    }
                }
            }
        case .list: return false
        }
        xml += "</\(name)>"
        return true
    }

    /// An array's items, or the value itself.
    private var items: [XMLOutput] {
        if case .list(let items) = self { items } else { [self] }
    }

    /// Whether `key` can be written as an element name: a letter or `_`, then letters, digits,
    /// `_`, `-` and `.` (no `:`, which would read as a namespace prefix).
    static func isName(_ key: String) -> Bool {
        guard let first = key.unicodeScalars.first, first == "_" || first.properties.isAlphabetic else { return false }
        return key.unicodeScalars.allSatisfy {
            $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_" || $0 == "-" || $0 == "."
        }
    }

    /// `text` escaped for XML: the five predefined entities, `\r` as `&#xD;` (else read back as
    /// `\n`), and characters XML cannot carry as U+FFFD, as Go's `xml.EscapeText` does.
    static func escape(_ text: String, into xml: inout String) {
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": xml += "&amp;"
            case "<": xml += "&lt;"
            case ">": xml += "&gt;"
            case "\"": xml += "&quot;"
            case "'": xml += "&apos;"
            case "\r": xml += "&#xD;"
            case _ where !XMLDocumentReader.isCharacter(scalar): xml.unicodeScalars.append("\u{FFFD}")
            default: xml.unicodeScalars.append(scalar)
            }
        }
    }
}

extension XMLDocumentReader.Element {
    /// The children as object members, grouped by key in order of first appearance: `<k>v</k>`
    /// is the member `k`; `<entry><key>k</key><value>v</value></entry>` the member `k` too.
    var members: [(key: String, elements: [XMLDocumentReader.Element])] {
        var order: [String] = []
        var groups: [String: [XMLDocumentReader.Element]] = [:]
        for child in children {
            var key = child.name, value = child
            if child.name == "entry", let keyElement = child.children.first(where: { $0.name == "key" }) {
                key = keyElement.text
                value = child.children.last { $0.name == "value" } ?? .init(name: "value")
            }
            if groups[key] == nil { order.append(key) }
            groups[key, default: []].append(value)
        }
        return order.map { ($0, groups[$0] ?? []) }
    }
}

/// Protojson from XML elements, typed by the message schema: what protojson needs to tell a bool
/// from a string, a repeated field from a single one, a map from a message.
enum XMLProtoJSON {
    /// The protojson of `element` read as a value of `kind`; nil when it sets nothing.
    static func value(_ element: XMLDocumentReader.Element, kind: MessageSchema.Kind) throws -> String? {
        let text = element.text.trimmingCharacters(in: .whitespacesAndNewlines)
        switch kind {
        case .string: return JSONString.quoted(element.text)
        case .bytes: return JSONString.quoted(text)
        case .integer, .float: return text.isEmpty ? nil : JSONString.quoted(text)
        case .enumeration: return text.isEmpty ? nil : Int32(text).map(String.init) ?? JSONString.quoted(text)
        case .bool:
            guard !text.isEmpty else { return nil }
            guard let bool = XMLCodec.bool(text) else { throw KratosError.codec("invalid XML body: <\(element.name)>: \"\(text)\" is not a bool") }
            return bool ? "true" : "false"
        case .map(_, let valueKind):
            let entries = try element.members.compactMap { key, elements in
                try elements.last.flatMap { try value($0, kind: valueKind) }.map { JSONString.quoted(key) + ":" + $0 }
            }
            return "{" + entries.joined(separator: ",") + "}"
        case .message(let type):
            switch type.protoMessageName {
            case "google.protobuf.BoolValue": return try value(element, kind: .bool)
            case "google.protobuf.StringValue": return JSONString.quoted(element.text)
            case "google.protobuf.Timestamp", "google.protobuf.Duration", "google.protobuf.FieldMask", "google.protobuf.BytesValue",
                 "google.protobuf.DoubleValue", "google.protobuf.FloatValue", "google.protobuf.Int64Value",
                 "google.protobuf.UInt64Value", "google.protobuf.Int32Value", "google.protobuf.UInt32Value":
                return text.isEmpty ? nil : JSONString.quoted(text)
            case "google.protobuf.Struct", "google.protobuf.Value", "google.protobuf.ListValue", "google.protobuf.Any":
                return untyped(element)
            default: return try object(element, type: type)
            }
        }
    }

    /// The protojson object of a message's element: each child a field by proto or JSON name.
    static func object(_ element: XMLDocumentReader.Element, type: any SwiftProtobuf.Message.Type) throws -> String {
        let fields = MessageSchema.of(type).fields
        var order: [Int] = []
        var byNumber: [Int: (field: MessageSchema.Field, elements: [XMLDocumentReader.Element])] = [:]
        for (key, elements) in element.members {
            guard let field = fields[key] else { continue }
            if byNumber[field.number] == nil { order.append(field.number) }
            byNumber[field.number, default: (field, [])].elements += elements
        }
        var members: [String] = []
        for number in order {
            guard let (field, elements) = byNumber[number], let last = elements.last else { continue }
            let json: String?
            if field.isRepeated {
                json = "[" + (try elements.compactMap { try value($0, kind: field.kind) }).joined(separator: ",") + "]"
            } else if case .map = field.kind {
                json = try value(.init(name: last.name, children: elements.flatMap(\.children)), kind: field.kind)
            } else if case .message(let type) = field.kind, type.protoMessageName == "google.protobuf.ListValue"
                        || (type.protoMessageName == "google.protobuf.Value" && elements.count > 1) {
                json = "[" + elements.map(untyped).joined(separator: ",") + "]"
            } else {
                json = try value(last, kind: field.kind)
            }
            if let json { members.append(JSONString.quoted(field.jsonName) + ":" + json) }
        }
        return "{" + members.joined(separator: ",") + "}"
    }

    /// JSON without a schema (`Struct`, `Value`, `Any`): elements with children are objects, a
    /// repeated child an array, any other element its text as a string.
    static func untyped(_ element: XMLDocumentReader.Element) -> String {
        guard !element.children.isEmpty else { return JSONString.quoted(element.text) }
        let members = element.members.map { key, elements in
            JSONString.quoted(key) + ":" + (elements.count == 1 ? untyped(elements[0]) : "[" + elements.map(untyped).joined(separator: ",") + "]")
        }
        return "{" + members.joined(separator: ",") + "}"
    }
}
