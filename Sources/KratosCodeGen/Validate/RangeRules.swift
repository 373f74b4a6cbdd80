import SwiftProtobuf

/// The rules every number, duration and timestamp shares: `const`, `lt`/`lte` and `gt`/`gte`
/// (a lower bound above the upper one means outside the range: the `_exclusive` rules), `in`
/// and `not_in`; read from each type's rules message into one shape.
struct RangeRules<Value: RuleValue> {
    struct Bound {
        var inclusive: Bool
        var value: Value
    }

    var const: Value?
    var below: Bound?
    var above: Bound?
    var `in`: [Value] = []
    var notIn: [Value] = []
}

/// A rule's value: compared while generating, written as Swift and in messages.
protocol RuleValue: Comparable {
    var swift: String { get }
    var text: String { get }
    /// The condition that `value` is one of `list`.
    static func membership(_ list: [Self], _ value: String) -> String
}

extension RuleValue {
    static func membership(_ list: [Self], _ value: String) -> String {
        "[\(list.map(\.swift).joined(separator: ", "))].contains(\(value))"
    }
}

extension RuleValue where Self: BinaryInteger {
    var swift: String { "\(self)" }
    var text: String { "\(self)" }
}

extension Int32: RuleValue {}
extension Int64: RuleValue {}
extension UInt32: RuleValue {}
extension UInt64: RuleValue {}

extension RuleValue where Self: BinaryFloatingPoint & LosslessStringConvertible {
    var swift: String {
        let type = Self.self == Float.self ? "Float" : "Double"
        if isNaN { return "\(type).nan" }
        if isInfinite { return self < 0 ? "-\(type).infinity" : "\(type).infinity" }
        return "\(self)"
    }
    var text: String { "\(self)" }
}

extension Float: RuleValue {}
extension Double: RuleValue {}

/// A duration or timestamp: compared as `(seconds, nanos)`, written in messages as JSON does.
struct TimeValue: RuleValue {
    var seconds: Int64
    var nanos: Int32
    var text: String

    init(_ duration: Google_Protobuf_Duration) throws {
        (seconds, nanos) = (duration.seconds, duration.nanos)
        text = try String(duration.jsonString().dropFirst().dropLast())
    }

    init(_ timestamp: Google_Protobuf_Timestamp) throws {
        (seconds, nanos) = (timestamp.seconds, timestamp.nanos)
        text = try String(timestamp.jsonString().dropFirst().dropLast())
    }

    var swift: String { "(\(seconds), \(nanos))" }

    static func < (a: TimeValue, b: TimeValue) -> Bool { (a.seconds, a.nanos) < (b.seconds, b.nanos) }
    static func == (a: TimeValue, b: TimeValue) -> Bool { (a.seconds, a.nanos) == (b.seconds, b.nanos) }

    static func membership(_ list: [TimeValue], _ value: String) -> String {
        "(" + list.map { "\(value) == \($0.swift)" }.joined(separator: " || ") + ")"
    }
}

extension ValidationEmitter {
    /// The checks of `rules` on `value` (an expression of the value's type, or `(seconds, nanos)`).
    mutating func rangeChecks<Value>(_ rules: RangeRules<Value>, kind: String, value: String, path: String) {
        if let const = rules.const {
            check("\(value) != \(const.swift)", path: path, rule: "\(kind).const", message: "must equal \(const.text)")
        }
        let below = rules.below.map { (condition: "\(value) \($0.inclusive ? "<=" : "<") \($0.value.swift)",
                                       text: "less than \($0.inclusive ? "or equal to " : "")\($0.value.text)",
                                       rule: $0.inclusive ? "lte" : "lt") }
        let above = rules.above.map { (condition: "\(value) \($0.inclusive ? ">=" : ">") \($0.value.swift)",
                                       text: "greater than \($0.inclusive ? "or equal to " : "")\($0.value.text)",
                                       rule: $0.inclusive ? "gte" : "gt") }
        if let above, let below, let low = rules.above?.value, let high = rules.below?.value {
            // Written as the negation of passing, so NaN (no comparison holds) fails.
            let inside = high >= low
            check("!(\(above.condition) \(inside ? "&&" : "||") \(below.condition))", path: path,
                  rule: "\(kind).\(above.rule)_\(below.rule)\(inside ? "" : "_exclusive")",
                  message: "must be \(above.text) \(inside ? "and" : "or") \(below.text)")
        } else if let bound = above ?? below {
            check("!(\(bound.condition))", path: path, rule: "\(kind).\(bound.rule)", message: "must be \(bound.text)")
        }
        if !rules.in.isEmpty {
            check("!\(Value.membership(rules.in, value))", path: path, rule: "\(kind).in",
                  message: "must be in list [\(rules.in.map(\.text).joined(separator: ", "))]")
        }
        if !rules.notIn.isEmpty {
            check(Value.membership(rules.notIn, value), path: path, rule: "\(kind).not_in",
                  message: "must not be in list [\(rules.notIn.map(\.text).joined(separator: ", "))]")
        }
    }
}
