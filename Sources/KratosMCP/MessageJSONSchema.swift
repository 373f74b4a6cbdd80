import Kratos
import enum MCP.Value
import SwiftProtobuf

/// JSON Schemas of protobuf messages in their protojson form, as MCP tools' input schemas.
///
/// Learned at runtime from the generated message type (its fields, JSON names, kinds and enum
/// names, as HTTP binding learns them), not from the proto descriptor, so proto comments and
/// validation rules are not in it. Properties use the JSON names; 64-bit integers accept a number
/// or a string, as protojson does; enums list their names; bytes are base64 strings; the
/// well-known types take their JSON forms. A message met again inside itself is an open object.
public enum MessageJSONSchema {
    /// The schema of `type`'s protojson object.
    public static func schema(for type: any SwiftProtobuf.Message.Type) -> Value {
        var visiting: Set<ObjectIdentifier> = []
        return message(type, visiting: &visiting)
    }

    private static func message(_ type: any SwiftProtobuf.Message.Type, visiting: inout Set<ObjectIdentifier>) -> Value {
        if let known = wellKnown(type.protoMessageName) { return known }
        let id = ObjectIdentifier(type)
        guard !visiting.contains(id) else {
            return .object(["type": "object", "description": .string(type.protoMessageName)])
        }
        visiting.insert(id)
        defer { visiting.remove(id) }
        var properties: [String: Value] = [:]
        for field in MessageSchema.of(type).ordered {
            properties[field.jsonName] = self.field(field, visiting: &visiting)
        }
        return .object([
            "type": "object",
            "title": .string(type.protoMessageName),
            "properties": .object(properties),
        ])
    }

    private static func field(_ field: MessageSchema.Field, visiting: inout Set<ObjectIdentifier>) -> Value {
        let one: Value
        switch field.kind {
        case .map(let key, let value):
            return .object([
                "type": "object",
                "propertyNames": keySchema(key),
                "additionalProperties": kind(value, wide: true, enumNames: nil, visiting: &visiting),
            ])
        default:
            one = kind(field.kind, wide: field.isWide, enumNames: field.enumValues.map { Array($0.names.keys).sorted() },
                       visiting: &visiting)
        }
        return field.isRepeated ? .object(["type": "array", "items": one]) : one
    }

    private static func kind(_ kind: MessageSchema.Kind, wide: Bool, enumNames: [String]?,
                             visiting: inout Set<ObjectIdentifier>) -> Value {
        switch kind {
        case .bool: return ["type": "boolean"]
        case .integer: return wide ? ["type": ["integer", "string"], "format": "int64"] : ["type": "integer"]
        case .float: return ["type": "number"]
        case .string: return ["type": "string"]
        case .bytes: return ["type": "string", "contentEncoding": "base64"]
        case .enumeration:
            guard let names = enumNames, !names.isEmpty else { return ["type": ["string", "integer"]] }
            return .object(["type": ["string", "integer"], "enum": .array(names.map(Value.string))])
        case .message(let type): return message(type, visiting: &visiting)
        case .map: return ["type": "object"]
        }
    }

    /// Map keys are JSON strings; integer and bool keys as their text.
    private static func keySchema(_ kind: MessageSchema.Kind) -> Value {
        switch kind {
        case .integer: ["type": "string", "pattern": "^-?[0-9]+$"]
        case .bool: ["type": "string", "enum": ["true", "false"]]
        default: ["type": "string"]
        }
    }

    /// The protojson forms of the well-known types.
    private static func wellKnown(_ name: String) -> Value? {
        switch name {
        case "google.protobuf.Timestamp": ["type": "string", "format": "date-time"]
        case "google.protobuf.Duration": ["type": "string", "pattern": "^-?[0-9]+(\\.[0-9]+)?s$"]
        case "google.protobuf.FieldMask": ["type": "string"]
        case "google.protobuf.Struct": ["type": "object"]
        case "google.protobuf.ListValue": ["type": "array"]
        case "google.protobuf.Value": [:]
        case "google.protobuf.Empty": ["type": "object"]
        case "google.protobuf.Any": ["type": "object", "properties": ["@type": ["type": "string"]]]
        case "google.protobuf.BoolValue": ["type": "boolean"]
        case "google.protobuf.StringValue": ["type": "string"]
        case "google.protobuf.BytesValue": ["type": "string", "contentEncoding": "base64"]
        case "google.protobuf.Int32Value", "google.protobuf.UInt32Value": ["type": "integer"]
        case "google.protobuf.Int64Value", "google.protobuf.UInt64Value": ["type": ["integer", "string"], "format": "int64"]
        case "google.protobuf.FloatValue", "google.protobuf.DoubleValue": ["type": "number"]
        default: nil
        }
    }
}
