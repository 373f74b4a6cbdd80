import SwiftProtobuf
import SwiftProtobufPluginLibrary

/// The rules of a value's type: each kind checks that it fits the field and writes its checks.
extension ValidationEmitter {
    private static let integerRuleNames: Set<String> = ["const", "lt", "lte", "gt", "gte", "in", "not_in", "example"]
    private static let floatRuleNames = integerRuleNames.union(["finite"])

    /// The wrapper types whose `value` takes the rules of the scalar they wrap.
    private static let wrappers: [String: Google_Protobuf_FieldDescriptorProto.TypeEnum] = [
        "google.protobuf.DoubleValue": .double, "google.protobuf.FloatValue": .float, "google.protobuf.Int64Value": .int64,
        "google.protobuf.UInt64Value": .uint64, "google.protobuf.Int32Value": .int32, "google.protobuf.UInt32Value": .uint32,
        "google.protobuf.BoolValue": .bool, "google.protobuf.StringValue": .string, "google.protobuf.BytesValue": .bytes,
    ]

    /// The checks of the type rules in `rules` on `value`, a value of `field`'s type (an item's,
    /// key's or value's for repeated and map fields).
    mutating func typeChecks(_ rules: Buf_Validate_FieldRules, _ field: FieldDescriptor, value: String, path: String) throws {
        guard let type = rules.type else { return }
        let message = field.type == .message ? field.messageType?.fullName ?? "" : ""
        let wrapped = Self.wrappers[message]
        let kind = wrapped ?? field.type
        let value = wrapped == nil ? value : value + ".value"
        let name = Self.name(of: type)
        func expect(_ expected: Google_Protobuf_FieldDescriptorProto.TypeEnum) throws {
            guard kind == expected, field.type != .message || wrapped != nil else {
                let what = message.isEmpty ? "\(field.type)".replacingOccurrences(of: "TYPE_", with: "").lowercased() : message
                throw unsupported("field.\(name)", why: "\(name) rules do not apply to a value of type \(what)")
            }
        }
        func expect(message expected: String) throws {
            guard message == expected else { throw unsupported("field.\(name)", why: "\(name) rules apply to \(expected) values only") }
        }
        switch type {
        case .float(let r): try expect(.float); try numberChecks(r, r.range, finite: r.finite, kind: name, value: value, path: path)
        case .double(let r): try expect(.double); try numberChecks(r, r.range, finite: r.finite, kind: name, value: value, path: path)
        case .int32(let r): try expect(.int32); try numberChecks(r, r.range, kind: name, value: value, path: path)
        case .int64(let r): try expect(.int64); try numberChecks(r, r.range, kind: name, value: value, path: path)
        case .uint32(let r): try expect(.uint32); try numberChecks(r, r.range, kind: name, value: value, path: path)
        case .uint64(let r): try expect(.uint64); try numberChecks(r, r.range, kind: name, value: value, path: path)
        case .sint32(let r): try expect(.sint32); try numberChecks(r, r.range, kind: name, value: value, path: path)
        case .sint64(let r): try expect(.sint64); try numberChecks(r, r.range, kind: name, value: value, path: path)
        case .fixed32(let r): try expect(.fixed32); try numberChecks(r, r.range, kind: name, value: value, path: path)
        case .fixed64(let r): try expect(.fixed64); try numberChecks(r, r.range, kind: name, value: value, path: path)
        case .sfixed32(let r): try expect(.sfixed32); try numberChecks(r, r.range, kind: name, value: value, path: path)
        case .sfixed64(let r): try expect(.sfixed64); try numberChecks(r, r.range, kind: name, value: value, path: path)
        case .bool(let r):
            try expect(.bool)
            try supported(r, ["const", "example"], kind: name)
            if r.hasConst { check("\(value) != \(r.const)", path: path, rule: "bool.const", message: "must equal \(r.const)") }
        case .string(let r): try expect(.string); try stringChecks(r, value: value, path: path)
        case .bytes(let r): try expect(.bytes); try bytesChecks(r, value: value, path: path)
        case .enum(let r): try expect(.enum); try enumChecks(r, field, value: value, path: path)
        case .any(let r):
            try expect(message: "google.protobuf.Any")
            try supported(r, ["in", "not_in"], kind: name)
            if !r.in.isEmpty {
                check("!\(stringArray(r.in)).contains(\(value).typeURL)", path: path, rule: "any.in", message: "type URL must be in the allow list")
            }
            if !r.notIn.isEmpty {
                check("\(stringArray(r.notIn)).contains(\(value).typeURL)", path: path, rule: "any.not_in", message: "type URL must not be in the block list")
            }
        case .duration(let r):
            try expect(message: "google.protobuf.Duration")
            try supported(r, ["const", "lt", "lte", "gt", "gte", "in", "not_in", "example"], kind: name)
            rangeChecks(try r.range, kind: name, value: "(\(value).seconds, \(value).nanos)", path: path)
        case .timestamp(let r):
            try expect(message: "google.protobuf.Timestamp")
            try timestampChecks(r, value: value, path: path)
        case .repeated, .map, .fieldMask:
            throw unsupported("field.\(name)", why: "\(name) rules apply to \(name == "field_mask" ? "nothing here: not supported" : "\(name) fields only")")
        }
    }

    private mutating func numberChecks<Value>(_ rules: some SwiftProtobuf.Message, _ range: RangeRules<Value>, finite: Bool? = nil,
                                             kind: String, value: String, path: String) throws {
        try supported(rules, finite == nil ? Self.integerRuleNames : Self.floatRuleNames, kind: kind)
        rangeChecks(range, kind: kind, value: value, path: path)
        if finite == true { check("!\(value).isFinite", path: path, rule: "\(kind).finite", message: "must be finite") }
    }

    private mutating func enumChecks(_ rules: Buf_Validate_EnumRules, _ field: FieldDescriptor, value: String, path: String) throws {
        try supported(rules, ["const", "defined_only", "in", "not_in", "example"], kind: "enum")
        let number = "\(value).rawValue"
        if rules.hasConst { check("\(number) != \(rules.const)", path: path, rule: "enum.const", message: "must equal \(rules.const)") }
        if rules.definedOnly {
            let defined = Set(field.enumType?.values.map(\.number) ?? []).sorted()
            check("!\(defined).contains(\(number))", path: path, rule: "enum.defined_only", message: "must be one of the defined enum values")
        }
        if !rules.in.isEmpty { check("!\(rules.in).contains(\(number))", path: path, rule: "enum.in", message: "must be in list \(rules.in)") }
        if !rules.notIn.isEmpty {
            check("\(rules.notIn).contains(\(number))", path: path, rule: "enum.not_in", message: "must not be in list \(rules.notIn)")
        }
    }

    private mutating func timestampChecks(_ rules: Buf_Validate_TimestampRules, value: String, path: String) throws {
        try supported(rules, ["const", "lt", "lte", "gt", "gte", "lt_now", "gt_now", "within", "example"], kind: "timestamp")
        let time = "(\(value).seconds, \(value).nanos)"
        rangeChecks(try rules.range, kind: "timestamp", value: time, path: path)
        if case .ltNow(true)? = rules.lessThan {
            check("\(time) > Validation.now()", path: path, rule: "timestamp.lt_now", message: "must be less than now")
        }
        if case .gtNow(true)? = rules.greaterThan {
            check("\(time) < Validation.now()", path: path, rule: "timestamp.gt_now", message: "must be greater than now")
        }
        if rules.hasWithin {
            let within = try TimeValue(rules.within)
            check("!Validation.isWithin(\(value), seconds: \(within.seconds), nanos: \(within.nanos))", path: path,
                  rule: "timestamp.within", message: "must be within \(within.text) of now")
        }
    }

    /// The proto name of a rules case (`fieldMask` → `field_mask`).
    static func name(of type: Buf_Validate_FieldRules.OneOf_Type?) -> String {
        guard let type else { return "" }
        let label = String(describing: type).prefix { $0 != "(" }
        return label.reduce(into: "") { name, character in
            name += character.isUppercase ? "_" + character.lowercased() : String(character)
        }
    }
}

extension Buf_Validate_DurationRules {
    var range: RangeRules<TimeValue> {
        get throws {
            try RangeRules(const: hasConst ? TimeValue(const) : nil,
                           below: lessThan.map { switch $0 { case .lt(let v): .init(inclusive: false, value: try TimeValue(v)); case .lte(let v): .init(inclusive: true, value: try TimeValue(v)) } },
                           above: greaterThan.map { switch $0 { case .gt(let v): .init(inclusive: false, value: try TimeValue(v)); case .gte(let v): .init(inclusive: true, value: try TimeValue(v)) } },
                           in: `in`.map(TimeValue.init), notIn: notIn.map(TimeValue.init))
        }
    }
}

extension Buf_Validate_TimestampRules {
    /// The bounds that are timestamps (`lt_now`, `gt_now` and `within` are checked apart).
    var range: RangeRules<TimeValue> {
        get throws {
            var range = RangeRules<TimeValue>(const: hasConst ? try TimeValue(const) : nil)
            switch lessThan {
            case .lt(let v)?: range.below = .init(inclusive: false, value: try TimeValue(v))
            case .lte(let v)?: range.below = .init(inclusive: true, value: try TimeValue(v))
            case .ltNow?, nil: break
            }
            switch greaterThan {
            case .gt(let v)?: range.above = .init(inclusive: false, value: try TimeValue(v))
            case .gte(let v)?: range.above = .init(inclusive: true, value: try TimeValue(v))
            case .gtNow?, nil: break
            }
            return range
        }
    }
}
