import Foundation
import SwiftProtobuf
import SwiftProtobufPluginLibrary

/// JSON Schemas (OpenAPI 3.1's dialect) of messages in their protojson form, as the Kratos
/// codecs write and read them: JSON names, 64-bit integers as strings (numbers read too), enums
/// by name, the well-known types in their own JSON forms, maps as objects, repeated fields as
/// arrays, and other messages by `$ref` to `#/components/schemas/<full name>`. Every field but a
/// required one also allows `null`: protojson reads it as the default, and replies write an
/// unset message field so.
struct SchemaBuilder {
    /// The messages referred to so far, by full name; each becomes a component schema.
    private(set) var referenced: [String: Descriptor] = [:]

    /// `#/components/schemas/<full name>`, recording the message as referenced.
    mutating func reference(_ message: Descriptor) -> DocumentNode {
        referenced[message.fullName] = message
        return .object(["$ref": .string("#/components/schemas/\(message.fullName)")])
    }

    /// The schema of a whole message: a reference, or the inline form of a well-known type.
    mutating func schema(of message: Descriptor) -> DocumentNode {
        Self.wellKnown(message) ?? reference(message)
    }

    /// The component schema of `message`: its fields as properties, its leading comment as the
    /// description, oneof members exclusive, validation rules as keywords.
    mutating func component(_ message: Descriptor) throws -> DocumentNode {
        var properties: [String: DocumentNode] = [:]
        var required: [String] = []
        let inMessageOneof = Set(message.options.Buf_Validate_message.oneof.flatMap(\.fields))
        for field in message.fields {
            let name = Self.jsonName(field)
            var property = try schema(of: field)
            let rules = ValidationKeywords(field: field, inMessageOneof: inMessageOneof.contains(field.name))
            if let rules { property = rules.applied(to: property) }
            if rules?.required == true {
                required.append(name)
            } else {
                // protojson reads `null` as the field's default (and replies write an unset
                // message field so); a required field's default is refused.
                property = Self.nullable(property)
            }
            property = Self.annotated(property, comments: Comments(field), deprecated: field.options.deprecated)
            properties[name] = property
        }
        var members: [String: DocumentNode] = ["type": .string("object"), "properties": .object(properties)]
        if !required.isEmpty { members["required"] = .array(required.sorted().map(DocumentNode.string)) }
        // A oneof's members are exclusive: no two of them at once.
        var exclusions: [DocumentNode] = []
        for oneof in message.realOneofs {
            let names = oneof.fields.map(Self.jsonName)
            for (index, first) in names.enumerated() {
                for second in names[(index + 1)...] {
                    exclusions.append(.object(["not": .object(["required": .array([.string(first), .string(second)])])]))
                }
            }
        }
        if !exclusions.isEmpty { members["allOf"] = .array(exclusions) }
        return Self.annotated(.object(members), comments: Comments(message), deprecated: message.options.deprecated)
    }

    /// The schema of a field's value: an array of items for repeated fields, an object for maps.
    mutating func schema(of field: FieldDescriptor) throws -> DocumentNode {
        if field.isMap, let (key, value) = field.messageType?.mapKeyAndValue {
            var members: [String: DocumentNode] = ["type": .string("object"), "additionalProperties": try singular(value)]
            if let names = Self.mapKeyPattern(key.type) { members["propertyNames"] = .object(["pattern": .string(names)]) }
            return .object(members)
        }
        if field.isRepeated {
            return .object(["type": .string("array"), "items": try singular(field)])
        }
        return try singular(field)
    }

    /// Whether a JSON object of `message` must hold some field (its rules refuse its default).
    static func hasRequiredFields(_ message: Descriptor) -> Bool {
        let inMessageOneof = Set(message.options.Buf_Validate_message.oneof.flatMap(\.fields))
        return message.fields.contains { ValidationKeywords(field: $0, inMessageOneof: inMessageOneof.contains($0.name))?.required == true }
    }

    /// One value of `field`'s type (an item of a repeated field).
    mutating func singular(_ field: FieldDescriptor) throws -> DocumentNode {
        switch field.type {
        case .message, .group:
            guard let message = field.messageType else { throw GeneratorError("\(field.fullName): message type missing") }
            return schema(of: message)
        case .enum:
            guard let type = field.enumType else { throw GeneratorError("\(field.fullName): enum type missing") }
            return Self.enumSchema(type)
        default:
            return Self.scalar(field.type)
        }
    }

    // MARK: Scalars and well-known types

    static func scalar(_ type: Google_Protobuf_FieldDescriptorProto.TypeEnum) -> DocumentNode {
        switch type {
        case .double: return .object(["type": .string("number"), "format": .string("double")])
        // Beyond a float's range a number would read as infinity (the bound is the largest
        // float as it is written, 3.4028235e38).
        case .float: return .object(["type": .string("number"), "format": .string("float"),
                                     "minimum": .number(-3.4028235e38), "maximum": .number(3.4028235e38)])
        case .int32, .sint32, .sfixed32:
            return .object(["type": .string("integer"), "format": .string("int32"),
                            "minimum": .integer(Int32.min), "maximum": .integer(Int32.max)])
        case .uint32, .fixed32:
            return .object(["type": .string("integer"), "format": .string("uint32"), "minimum": .integer(0), "maximum": .integer(UInt32.max)])
        // protojson writes 64-bit integers as strings (JSON numbers lose precision past 2^53) and
        // reads numbers too; the pattern admits only strings of values that fit.
        case .int64, .sint64, .sfixed64:
            let magnitude = decimals(upTo: String(Int64.max))
            return .object(["type": .array([.string("string"), .string("integer")]), "format": .string("int64"),
                            "pattern": .string("^(-?\(magnitude)|-\(Int64.min.magnitude))$"),
                            "minimum": .integer(Int64.min), "maximum": .integer(Int64.max)])
        case .uint64, .fixed64:
            return .object(["type": .array([.string("string"), .string("integer")]), "format": .string("uint64"),
                            "pattern": .string("^\(decimals(upTo: String(UInt64.max)))$"), "minimum": .integer(0), "maximum": .integer(UInt64.max)])
        case .bool: return .object(["type": .string("boolean")])
        case .string: return .object(["type": .string("string")])
        case .bytes: return .object(["type": .string("string"), "format": .string("byte"), "contentEncoding": .string("base64")])
        default: return .object([:])
        }
    }

    static func enumSchema(_ type: EnumDescriptor) -> DocumentNode {
        if type.fullName == "google.protobuf.NullValue" { return .object(["type": .string("null")]) }
        var names: [DocumentNode] = []
        for value in type.values where !names.contains(.string(value.name)) { names.append(.string(value.name)) }
        return .object(["type": .string("string"), "enum": .array(names)])
    }

    /// The inline schema of a well-known type (in its protojson form); nil for other messages.
    static func wellKnown(_ message: Descriptor) -> DocumentNode? {
        let wrapped: [String: Google_Protobuf_FieldDescriptorProto.TypeEnum] = [
            "google.protobuf.DoubleValue": .double, "google.protobuf.FloatValue": .float, "google.protobuf.Int64Value": .int64,
            "google.protobuf.UInt64Value": .uint64, "google.protobuf.Int32Value": .int32, "google.protobuf.UInt32Value": .uint32,
            "google.protobuf.BoolValue": .bool, "google.protobuf.StringValue": .string, "google.protobuf.BytesValue": .bytes,
        ]
        if let type = wrapped[message.fullName] { return scalar(type) }
        switch message.fullName {
        case "google.protobuf.Timestamp":
            // RFC 3339 in UTC, as protojson writes it (it reads offsets too, within limits).
            return .object(["type": .string("string"), "format": .string("date-time"),
                            "pattern": .string("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z$")])
        case "google.protobuf.Duration":
            return .object(["type": .string("string"), "pattern": .string("^-?[0-9]{1,11}(\\.[0-9]{1,9})?s$"),
                            "description": .string("A duration in seconds with up to nine fractional digits, ending in `s` (`1.5s`).")])
        case "google.protobuf.FieldMask":
            let path = "[a-z0-9][a-zA-Z0-9]*(\\.[a-z0-9][a-zA-Z0-9]*)*"
            return .object(["type": .string("string"), "pattern": .string("^(\(path)(,\(path))*)?$"),
                            "description": .string("Field paths in lowerCamelCase, comma-separated.")])
        case "google.protobuf.Struct":
            return .object(["type": .string("object"), "additionalProperties": true.node])
        case "google.protobuf.Value":
            return .object(["description": .string("Any JSON value.")])
        case "google.protobuf.ListValue":
            return .object(["type": .string("array"), "items": .object([:])])
        case "google.protobuf.Empty":
            return .object(["type": .string("object"), "additionalProperties": false.node])
        case "google.protobuf.Any":
            return .object(["type": .string("object"), "required": .array([.string("@type")]),
                            "properties": .object(["@type": .object(["type": .string("string")])]),
                            "additionalProperties": true.node])
        default:
            return nil
        }
    }

    /// A regex group matching the decimals from 0 to `max` (no leading zeros): the shorter
    /// numbers, then per digit of `max` the numbers equal up to it and smaller there.
    static func decimals(upTo max: String) -> String {
        let digits = Array(max)
        var choices = ["0", "[1-9][0-9]{0,\(digits.count - 2)}"]
        for (index, digit) in digits.enumerated() {
            guard let value = digit.wholeNumberValue else { continue }
            let lowest = index == 0 ? 1 : 0
            guard value > lowest else { continue }
            let rest = digits.count - index - 1
            choices.append(String(digits[..<index]) + "[\(lowest)-\(value - 1)]" + (rest > 0 ? "[0-9]{\(rest)}" : ""))
        }
        choices.append(max)
        return "(" + choices.joined(separator: "|") + ")"
    }

    /// What the JSON keys of a map with `type` keys look like (protojson writes every key as a
    /// string); nil for string keys.
    static func mapKeyPattern(_ type: Google_Protobuf_FieldDescriptorProto.TypeEnum) -> String? {
        switch type {
        case .int32, .sint32, .sfixed32: "^-?(0|[1-9][0-9]{0,8})$"
        case .uint32, .fixed32: "^(0|[1-9][0-9]{0,8})$"
        case .int64, .sint64, .sfixed64: "^-?(0|[1-9][0-9]{0,17})$"
        case .uint64, .fixed64: "^(0|[1-9][0-9]{0,18})$"  // within range: the keys need not reach the ends
        case .bool: "^(true|false)$"
        default: nil
        }
    }

    /// A Duration as a query parameter: Go's syntax (`1m40s`, `500ms`, `0`) as well as `1.5s`,
    /// within what a Go duration holds.
    static let queryDuration: DocumentNode = .object([
        "type": .string("string"),
        "pattern": .string("^[-+]?(0|(([0-9]{1,5}(\\.[0-9]{1,9})?|\\.[0-9]{1,9})(ns|us|ms|s|m|h)){1,4})$"),
        "description": .string("A duration: `1.5s`, `500ms`, `1h2m3s`."),
    ])

    /// `schema` or JSON `null`: `type: [t, "null"]` (and `null` among an `enum`'s values) where
    /// that says it, else `anyOf` with `{type: null}`.
    static func nullable(_ schema: DocumentNode) -> DocumentNode {
        var members = schema.members
        switch members["type"] {
        case .string("null")?:
            return schema
        case .string(let type)? where members["const"] == nil:
            members["type"] = .array([.string(type), .string("null")])
            if case .array(let values)? = members["enum"] { members["enum"] = .array(values + [.null]) }
            return .object(members)
        case .array(let types)? where members["const"] == nil && members["enum"] == nil:
            members["type"] = .array(types + [.string("null")])
            return .object(members)
        case nil where members.keys.allSatisfy({ $0 == "description" }):
            return schema  // any JSON value, null included
        default:
            return .object(["anyOf": .array([schema, .object(["type": .string("null")])])])
        }
    }

    static func jsonName(_ field: FieldDescriptor) -> String { field.jsonName ?? field.name }

    /// `schema` with the comment's text as its description and `deprecated: true` when so.
    static func annotated(_ schema: DocumentNode, comments: Comments, deprecated: Bool) -> DocumentNode {
        var members = schema.members
        if let text = comments.text { members["description"] = .string(text) }
        if deprecated { members["deprecated"] = .bool(true) }
        return .object(members)
    }
}

extension Bool {
    var node: DocumentNode { .bool(self) }
}

/// A descriptor's leading comment, trimmed: the first line is its summary, the whole its description.
struct Comments {
    let text: String?

    init(_ descriptor: some ProvidesSourceCodeLocation) {
        let raw = descriptor.sourceCodeInfoLocation?.leadingComments ?? ""
        let lines = raw.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix(" ") ? String(line.dropFirst()) : String(line)
        }
        let joined = lines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        text = joined.isEmpty ? nil : joined
    }

    /// The first line (up to the first blank line, its lines joined by spaces).
    var summary: String? {
        guard let text else { return nil }
        let paragraph = text.components(separatedBy: "\n\n").first ?? text
        return paragraph.split(separator: "\n").joined(separator: " ")
    }
}
