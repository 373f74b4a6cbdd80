import Foundation

/// A message with validation rules: protoc-gen-kratos-validate makes every message conform whose
/// proto carries `buf.validate` rules (or holds, at any depth, a message that does).
///
/// ```swift
/// let violations = request.validationViolations()   // [] when valid
/// try request.validate()                           // throws 400 VALIDATOR when not
/// ```
public protocol Validatable: SendableMetatype {
    /// Every rule the message breaks, its nested messages' included, in field order; empty when
    /// the message is valid.
    func validationViolations() -> [Violation]
}

extension Validatable {
    /// Throws ``KratosError/validator(_:)`` (400 `VALIDATOR`) when the message breaks a rule.
    public func validate() throws {
        let violations = validationViolations()
        if !violations.isEmpty { throw KratosError.validator(violations) }
    }
}

/// One broken rule: where it is, which rule, and what is wrong.
public struct Violation: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The path of the field from the validated message: `name`, `items[2].id`, `labels["env"]`;
    /// a oneof's name for its `required`; empty for a rule on the whole message.
    public var field: String
    /// The protovalidate rule id, e.g. `string.min_len`, `required`, `int32.gt_lt`.
    public var rule: String
    /// What is wrong, e.g. `must be at least 1 characters`.
    public var message: String

    public init(field: String, rule: String, message: String) {
        self.field = field
        self.rule = rule
        self.message = message
    }

    /// This violation as seen from the message that holds the validated one at `path`.
    public func nested(under path: String) -> Violation {
        let joined = field.isEmpty ? path : field.hasPrefix("[") ? path + field : path + "." + field
        return Violation(field: joined, rule: rule, message: message)
    }

    /// `name: must be at least 1 characters [string.min_len]`.
    public var description: String {
        field.isEmpty ? "\(message) [\(rule)]" : "\(field): \(message) [\(rule)]"
    }
}

extension KratosError {
    /// The reason of a request that breaks its message's validation rules.
    public static let validatorReason = "VALIDATOR"

    /// 400 `VALIDATOR`: the message names the first violation (and how many more there are); the
    /// metadata key `violations` holds all of them as a JSON array of
    /// `{"field":…,"rule":…,"message":…}`, in order (read them back with ``violations``).
    public static func validator(_ violations: [Violation]) -> KratosError {
        var message = violations.first?.description ?? "invalid request"
        if violations.count > 1 {
            message += " (and \(violations.count - 1) more violation\(violations.count == 2 ? "" : "s"))"
        }
        let json = violations.map {
            "{\"field\":\(JSONString.quoted($0.field)),\"rule\":\(JSONString.quoted($0.rule)),\"message\":\(JSONString.quoted($0.message))}"
        }
        return KratosError(code: 400, reason: validatorReason, message: message, metadata: ["violations": "[" + json.joined(separator: ",") + "]"])
    }

    /// The violations a ``validator(_:)`` error carries in its metadata (also after it crossed
    /// the wire); empty for any other error.
    public var violations: [Violation] {
        guard let json = metadata["violations"] else { return [] }
        return (try? JSONDecoder().decode([Violation].self, from: Data(json.utf8))) ?? []
    }
}
