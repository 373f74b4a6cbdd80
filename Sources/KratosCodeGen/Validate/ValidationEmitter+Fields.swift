import SwiftProtobuf
import SwiftProtobufPluginLibrary

/// How each field is validated: `required` and `ignore`, presence, repeated items and map
/// pairs (in key order), and the messages it holds validated through theirs.
extension ValidationEmitter {
    /// The rules a field may carry (`field_mask`, `cel` and `cel_expression` are refused).
    static let fieldRuleNames: Set<String> = [
        "required", "ignore", "float", "double", "int32", "int64", "uint32", "uint64", "sint32", "sint64", "fixed32",
        "fixed64", "sfixed32", "sfixed64", "bool", "string", "bytes", "enum", "repeated", "map", "any", "duration", "timestamp",
    ]

    /// The checks of `field`; a field named by a message `oneof` rule skips them at its zero value.
    mutating func emit(_ field: FieldDescriptor, inMessageOneof: Bool) throws {
        let rules = field.options.Buf_Validate_field
        try supported(rules, Self.fieldRuleNames, kind: "field")
        guard rules.ignore != .always else { return }
        let names = namer.messagePropertyNames(field: field, prefixed: "_", includeHasAndClear: true)
        let property = "self.\(names.name)"
        let path = literal(field.name)
        let ignoreZero = rules.ignore == .ifZeroValue || (inMessageOneof && rules.ignore == .unspecified)
        if field.isMap || field.isRepeated {
            if rules.required { check("\(property).isEmpty", path: path, rule: "required", message: "value is required") }
            let checks: (inout ValidationEmitter) throws -> Void = { emitter in
                if field.isMap {
                    try emitter.mapChecks(field, rules, property: property)
                } else {
                    try emitter.repeatedChecks(field, rules, property: property)
                }
            }
            if rules.required || ignoreZero {
                try block("if !\(property).isEmpty {", checks)
            } else {
                try checks(&self)
            }
        } else if let oneof = field.realContainingOneof {
            let choice = "self." + namer.messagePropertyName(oneof: oneof).name
            if rules.required {
                out.open("if case .\(names.name)? = \(choice) {} else {")
                out.line(appendLine(path: path, rule: "required", message: "value is required"))
                out.close()
            }
            try block("if case .\(names.name)(let value)? = \(choice) {") { try $0.valueChecks(rules, field, value: "value", path: path) }
        } else if field.hasPresence {
            let has = "self." + names.has
            if rules.required { check("!\(has)", path: path, rule: "required", message: "value is required") }
            try block("if \(has) {") { try $0.valueChecks(rules, field, value: property, path: path) }
        } else {
            let zero = try zero(of: field, property)
            if rules.required { check(zero, path: path, rule: "required", message: "value is required") }
            if rules.required || ignoreZero {
                try block("if !(\(zero)) {") { try $0.valueChecks(rules, field, value: property, path: path) }
            } else {
                try valueChecks(rules, field, value: property, path: path)
            }
        }
    }

    /// A repeated field's own rules, then its items'.
    private mutating func repeatedChecks(_ field: FieldDescriptor, _ rules: Buf_Validate_FieldRules, property: String) throws {
        let path = literal(field.name)
        var repeated = Buf_Validate_RepeatedRules()
        switch rules.type {
        case .repeated(let r)?: repeated = r
        case nil: break
        case .some: throw unsupported("field.\(Self.name(of: rules.type))", why: "a repeated field takes repeated rules (repeated.items for its items)")
        }
        try supported(repeated, ["min_items", "max_items", "unique", "items"], kind: "repeated")
        if repeated.hasMinItems {
            check("\(property).count < \(repeated.minItems)", path: path, rule: "repeated.min_items", message: "must contain at least \(repeated.minItems) item(s)")
        }
        if repeated.hasMaxItems {
            check("\(property).count > \(repeated.maxItems)", path: path, rule: "repeated.max_items", message: "must contain no more than \(repeated.maxItems) item(s)")
        }
        if repeated.unique {
            guard field.type != .message, field.type != .group else {
                throw unsupported("repeated.unique", why: "items must be scalars, enums, strings or bytes")
            }
            check("!Validation.isUnique(\(property))", path: path, rule: "repeated.unique", message: "repeated value must contain unique items")
        }
        try block("for (index, item) in \(property).enumerated() {") {
            try $0.elementChecks(repeated.items, field, value: "item", path: "\"\(field.name)[\\(index)]\"")
        }
    }

    /// A map's own rules, then its keys' (in order), then its values' (in key order).
    private mutating func mapChecks(_ field: FieldDescriptor, _ rules: Buf_Validate_FieldRules, property: String) throws {
        let path = literal(field.name)
        var map = Buf_Validate_MapRules()
        switch rules.type {
        case .map(let r)?: map = r
        case nil: break
        case .some: throw unsupported("field.\(Self.name(of: rules.type))", why: "a map field takes map rules (map.keys and map.values)")
        }
        try supported(map, ["min_pairs", "max_pairs", "keys", "values"], kind: "map")
        guard let (key, value) = field.messageType?.mapKeyAndValue else { return }
        if map.hasMinPairs {
            check("\(property).count < \(map.minPairs)", path: path, rule: "map.min_pairs", message: "map must be at least \(map.minPairs) entries")
        }
        if map.hasMaxPairs {
            check("\(property).count > \(map.maxPairs)", path: path, rule: "map.max_pairs", message: "map must be at most \(map.maxPairs) entries")
        }
        let pairPath = "\"\(field.name)[\\(Validation.key(key))]\""
        let boolKeys = key.type == .bool
        try block("for key in \(property).keys.sorted(\(boolKeys ? "by: { !$0 && $1 }" : "")) {") {
            try $0.elementChecks(map.keys, key, value: "key", path: pairPath)
        }
        try block("for (key, value) in \(property).sorted(by: { \(boolKeys ? "!$0.key && $1.key" : "$0.key < $1.key") }) {") {
            try $0.elementChecks(map.values, value, value: "value", path: pairPath)
        }
    }

    /// An item's, key's or value's rules (`required` is redundant there: they are always set).
    private mutating func elementChecks(_ rules: Buf_Validate_FieldRules, _ field: FieldDescriptor, value: String, path: String) throws {
        try supported(rules, Self.fieldRuleNames, kind: "field")
        guard rules.ignore != .always else { return }
        if rules.ignore == .ifZeroValue, field.type != .message, field.type != .group {
            try block("if !(\(try zero(of: field, value))) {") { try $0.valueChecks(rules, field, value: value, path: path) }
        } else {
            try valueChecks(rules, field, value: value, path: path)
        }
    }

    /// The checks of one value: its type's rules, then the rules of the message it is.
    mutating func valueChecks(_ rules: Buf_Validate_FieldRules, _ field: FieldDescriptor, value: String, path: String) throws {
        try typeChecks(rules, field, value: value, path: path)
        if field.type == .message || field.type == .group, let message = field.messageType, scope.validates(message) {
            out.line("violations += \(value).validationViolations().map { $0.nested(under: \(path)) }")
        }
    }

    /// The condition that `value` of `field`'s type is its zero value.
    func zero(of field: FieldDescriptor, _ value: String) throws -> String {
        switch field.type {
        case .string, .bytes: return "\(value).isEmpty"
        case .bool: return "!\(value)"
        case .enum: return "\(value).rawValue == \(field.enumType?.values.first?.number ?? 0)"
        case .message, .group: throw unsupported("field.ignore", why: "a message field has no zero value but its absence")
        default: return "\(value) == 0"
        }
    }

    /// `violations.append(…)` of one violation.
    func appendLine(path: String, rule: String, message: String) -> String {
        "violations.append(Violation(field: \(path), rule: \(swiftLiteral(rule)), message: \(swiftLiteral(message))))"
    }
}
