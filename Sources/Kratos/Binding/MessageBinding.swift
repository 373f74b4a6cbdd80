import Foundation
import SwiftProtobuf

/// Binds query or form parameters into SwiftProtobuf messages, by go-kratos's rules:
///
/// - keys are proto (`user_id`) or JSON (`userId`) field names; unknown keys are ignored;
/// - nested fields with dots: `page.size=10`;
/// - repeated fields by repeating the key: `ids=1&ids=2`;
/// - maps with brackets: `labels[env]=prod` (or `labels.env=prod`);
/// - enums by name or number; bools as `true`/`false`/`1`/`0`; bytes as (URL-safe) base64;
/// - `google.protobuf.Timestamp` as RFC 3339, `Duration` in Go's syntax (`1m40s`, `500ms`,
///   also protojson's `1.5s`), wrappers as their value, `FieldMask` as a comma-separated list of
///   paths, `Struct`/`ListValue` as JSON text, `Value` as JSON text or else a string;
/// - an enum takes a value's name or a number the enum defines; anything else is a 400.
///
/// Binding merges into the message: call it for the query, then for path variables, and the
/// path variables win.
public enum MessageBinding {
    /// Merges `parameters` into `message`.
    /// - Throws: 400 `CODEC` naming the parameter when a value does not fit its field.
    public static func bind<M: SwiftProtobuf.Message>(_ parameters: QueryParameters, into message: inout M) throws {
        guard !parameters.isEmpty else { return }
        let schema = MessageSchema.of(M.self)
        // Top-level scalars (the common case, and every path variable of a simple route) are set
        // in place through the message's own decoder; the rest goes through protojson.
        // A field takes one route for all its values, so repeated values keep their order.
        var viaJSON = Set<Int>()
        for (key, value) in parameters {
            if let field = schema.fields[key], !field.isDirect(value) { viaJSON.insert(field.number) }
        }
        var direct: [(field: MessageSchema.Field, key: String, values: [String])] = []
        var rest = QueryParameters()
        for (key, value) in parameters {
            if let field = schema.fields[key], !viaJSON.contains(field.number) {
                if let index = direct.firstIndex(where: { $0.field.number == field.number }) {
                    direct[index].values.append(value)
                } else {
                    direct.append((field, key, [value]))
                }
            } else {
                rest.append(key, value)
            }
        }
        for (field, key, values) in direct {
            var decoder = FieldDecoder(numbers: [field.number], action: .assign(values, key: key))
            try message.decodeMessage(decoder: &decoder)
            if let failure = decoder.failure { throw failure }
        }
        if !rest.isEmpty {
            let bound = try decode(M.self, from: rest)
            try message.merge(serializedBytes: try bound.serializedBytes() as [UInt8])
        }
    }

    /// Bindings for a fixed set of keys (a route's path variables), resolved once: each key that
    /// names a top-level scalar field is set in place; the others go through ``bind(_:into:)``.
    public struct Prepared<M: SwiftProtobuf.Message>: Sendable {
        /// Per key, the top-level scalar field it sets: its number, and whether it is a string.
        /// Plain values, so reading one per request retains nothing.
        let fields: [(number: Int, isString: Bool)?]
        let keys: [String]

        public init(keys: [String]) {
            let schema = MessageSchema.of(M.self)
            self.keys = keys
            fields = keys.map { key in
                schema.fields[key].flatMap { field in
                    guard field.kind.isScalar, !field.isRepeated else { return nil }
                    if case .string = field.kind { return (field.number, true) }
                    return (field.number, false)
                }
            }
        }

        /// The protobuf wire bytes of one length-delimited field.
        static func record(field: Int, utf8: String.UTF8View) -> [UInt8] {
            var bytes: [UInt8] = []
            bytes.reserveCapacity(utf8.count + 10)
            func varint(_ value: UInt64) {
                var value = value
                while value >= 0x80 {
                    bytes.append(UInt8(value & 0x7F) | 0x80)
                    value >>= 7
                }
                bytes.append(UInt8(value))
            }
            varint(UInt64(field) << 3 | 2)
            varint(UInt64(utf8.count))
            bytes.append(contentsOf: utf8)
            return bytes
        }

        /// Merges `values` (one per key, in key order) into `message`.
        public func bind(_ values: [(name: String, value: String)], into message: inout M) throws {
            var rest = QueryParameters()
            for (index, value) in values.enumerated() {
                guard index < fields.count, let field = fields[index] else {
                    rest.append(value.name, value.value)
                    continue
                }
                if field.isString {
                    // A string field is one length-delimited record on the wire: merging it is
                    // SwiftProtobuf's fastest path.
                    try message.merge(serializedBytes: Self.record(field: field.number, utf8: value.value.utf8))
                    continue
                }
                var decoder = FieldDecoder(numbers: [field.number], action: .assign([value.value], key: value.name))
                try message.decodeMessage(decoder: &decoder)
                if let failure = decoder.failure { throw failure }
            }
            if !rest.isEmpty { try MessageBinding.bind(rest, into: &message) }
        }
    }

    /// A new message of `type` holding `parameters`.
    public static func decode<M: SwiftProtobuf.Message>(_ type: M.Type, from parameters: QueryParameters) throws -> M {
        var root = JSONObject()
        for (key, value) in parameters {
            try insert(QueryParameters.path(of: key)[...], value: value, key: key, schema: .of(type), into: &root)
        }
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        do {
            return try M(jsonString: root.json, options: options)
        } catch {
            throw KratosError.codec("invalid parameters for \(M.protoMessageName): \(error)", cause: error)
        }
    }

    private static func insert(_ path: ArraySlice<String>, value: String, key: String,
                               schema: MessageSchema, into object: inout JSONObject) throws {
        guard let name = path.first, let field = schema.fields[name] else { return }
        let rest = path.dropFirst()
        switch field.kind {
        case .map(let keyKind, let valueKind):
            guard let mapKey = rest.first else {
                throw KratosError.codec("parameter \(key): \(name) is a map; write \(name)[key]=value")
            }
            try checkMapKey(mapKey, kind: keyKind, field: name, key: key)
            var entries = object.objects[field.jsonName] ?? JSONObject()
            if case .message(let valueType) = valueKind, rest.count > 1 {
                var inner = entries.objects[mapKey] ?? JSONObject()
                try insert(rest.dropFirst(), value: value, key: key, schema: .of(valueType), into: &inner)
                entries.objects[mapKey] = inner
            } else {
                guard rest.count == 1 else {
                    throw KratosError.codec("parameter \(key): invalid formatting for a key of map \(name); write \(name)[key]=value")
                }
                entries.scalars[mapKey] = try scalar(value, kind: valueKind, key: key)
            }
            object.objects[field.jsonName] = entries
        case .message(let type) where type.protoMessageName == "google.protobuf.Struct" && rest.count == 1 && !field.isRepeated:
            // `data.name=kratos` sets one member of a Struct, as a string (as go-kratos does).
            var inner = object.objects[field.jsonName] ?? JSONObject()
            inner.scalars[rest[rest.startIndex]] = JSONString.quoted(value)
            object.objects[field.jsonName] = inner
        case .message(let type) where !rest.isEmpty && !field.isRepeated:
            var inner = object.objects[field.jsonName] ?? JSONObject()
            try insert(rest, value: value, key: key, schema: .of(type), into: &inner)
            object.objects[field.jsonName] = inner
        default:
            // `ids[]=1` is the repeated field itself.
            guard rest.isEmpty || field.isRepeated && rest.count == 1 && rest.first == "" else { return }
            if let values = field.enumValues { try checkEnum(value, values: values, field: field, schema: schema, key: key) }
            let json = try scalar(value, kind: field.kind, key: key)
            if field.isRepeated {
                object.arrays[field.jsonName, default: []].append(json)
            } else {
                object.scalars[field.jsonName] = json
            }
        }
    }

    /// go-kratos binds an enum from a value's name or a number the enum defines; anything else
    /// (an undefined number, which proto3 would keep as UNRECOGNIZED, or an unknown name) is a 400.
    private static func checkEnum(_ value: String, values: MessageSchema.EnumValues, field: MessageSchema.Field,
                                  schema: MessageSchema, key: String) throws {
        let accepted = values.accepts(value) ?? {
            var options = JSONDecodingOptions()
            options.ignoreUnknownFields = false
            let probe = "{" + JSONString.quoted(field.jsonName) + ":" + JSONString.quoted(value) + "}"
            return (try? schema.type.init(jsonString: probe, options: options)) != nil
        }()
        guard accepted else {
            let known = values.names.sorted { $0.value < $1.value }.map(\.key)
            throw KratosError.codec("parameter \(key): \"\(value)\" is not a valid value"
                                    + (known.isEmpty ? "" : " (one of \(known.joined(separator: ", ")), or their numbers)"))
        }
    }

    /// A map key must read as the map's key type (protojson writes every key as a string, so a
    /// wrong one would otherwise be dropped or misread).
    private static func checkMapKey(_ mapKey: String, kind: MessageSchema.Kind, field: String, key: String) throws {
        let fits = switch kind {
        case .bool: mapKey == "true" || mapKey == "false"
        case .integer: Int64(mapKey) != nil || UInt64(mapKey) != nil
        default: true
        }
        guard fits else {
            let expected = if case .bool = kind { "true or false" } else { "integers" }
            throw KratosError.codec("parameter \(key): the keys of map \(field) are \(expected), not \"\(mapKey)\"")
        }
    }

    /// The JSON text for one parameter value of `kind`.
    private static func scalar(_ value: String, kind: MessageSchema.Kind, key: String) throws -> String {
        func invalid(_ expected: String) -> KratosError {
            .codec("parameter \(key): \"\(value)\" is not \(expected)")
        }
        switch kind {
        case .bool:
            guard let bool = parseBool(value) else { throw invalid("a bool (true, false, 1, 0)") }
            return bool ? "true" : "false"
        case .integer:
            guard Int64(value) != nil || UInt64(value) != nil else { throw invalid("an integer") }
            return JSONString.quoted(value)
        case .float:
            guard Double(value) != nil || ["NaN", "Infinity", "-Infinity"].contains(value) else { throw invalid("a number") }
            return JSONString.quoted(value)
        case .enumeration:
            return Int32(value) != nil ? value : JSONString.quoted(value)
        case .string, .bytes:
            return JSONString.quoted(value)
        case .message(let type):
            switch type.protoMessageName {
            case "google.protobuf.BoolValue":
                return try scalar(value, kind: .bool, key: key)
            case "google.protobuf.Duration":
                // Go's syntax (`1m40s`, `500ms`, `2m0.000000022s`) as well as protojson's `1.5s`.
                guard let duration = Duration(config: value) else {
                    throw invalid("a duration (like 1.5s, 500ms or 1h2m3s)")
                }
                return JSONString.quoted(duration.protoJSON)
            case "google.protobuf.Struct", "google.protobuf.ListValue":
                // JSON text: `data={"name":"kratos"}`, `list=[1,"a"]`.
                let isObject = type.protoMessageName == "google.protobuf.Struct"
                guard let parsed = try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [.fragmentsAllowed]),
                      isObject ? parsed is [String: Any] : parsed is [Any] else {
                    throw invalid(isObject ? "a JSON object" : "a JSON array")
                }
                return value
            case "google.protobuf.Value":
                // JSON text when it is JSON (`3`, `true`, `{"a":1}`), else the text as a string.
                let isJSON = (try? JSONSerialization.jsonObject(with: Data(value.utf8), options: [.fragmentsAllowed])) != nil
                return isJSON ? value : JSONString.quoted(value)
            case "google.protobuf.Timestamp", "google.protobuf.FieldMask",
                 "google.protobuf.StringValue", "google.protobuf.BytesValue", "google.protobuf.Int32Value",
                 "google.protobuf.Int64Value", "google.protobuf.UInt32Value", "google.protobuf.UInt64Value",
                 "google.protobuf.FloatValue", "google.protobuf.DoubleValue":
                return JSONString.quoted(value)
            default:
                throw KratosError.codec("parameter \(key): \(type.protoMessageName) is a message; set its fields, e.g. \(key).field=value")
            }
        case .map:
            throw invalid("a map entry")
        }
    }

    static func parseBool(_ value: String) -> Bool? {
        switch value {
        case "true", "True", "TRUE", "t", "T", "1": true
        case "false", "False", "FALSE", "f", "F", "0": false
        default: nil
        }
    }
}

/// A JSON object under construction: scalar members as JSON text, arrays, nested objects.
private struct JSONObject {
    var scalars: [String: String] = [:]
    var arrays: [String: [String]] = [:]
    var objects: [String: JSONObject] = [:]

    var json: String {
        var members: [String] = []
        for (key, value) in scalars { members.append(JSONString.quoted(key) + ":" + value) }
        for (key, values) in arrays { members.append(JSONString.quoted(key) + ":[" + values.joined(separator: ",") + "]") }
        for (key, object) in objects { members.append(JSONString.quoted(key) + ":" + object.json) }
        return "{" + members.joined(separator: ",") + "}"
    }
}
