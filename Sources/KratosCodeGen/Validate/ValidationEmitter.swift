import SwiftProtobuf
import SwiftProtobufPluginLibrary

/// Writes the `Validatable` conformances of one file: per message its rules, then per field
/// (see `ValidationEmitter+Fields.swift`) the checks of its rules (`ValidationEmitter+Rules.swift`).
struct ValidationEmitter {
    var out = SwiftWriter()
    /// The `pattern` rules met so far; the file declares them as `validationPattern<index>`.
    var patterns: [String] = []
    let file: FileDescriptor
    let scope: ValidationScope
    let visibility: String
    let namer: SwiftProtobufNamer
    /// What the rules being written belong to (`pkg.Message.field`), for generation errors.
    var subject = ""

    init(file: FileDescriptor, scope: ValidationScope, visibility: String) {
        self.file = file
        self.scope = scope
        self.visibility = visibility
        namer = SwiftProtobufNamer(currentFile: file, protoFileToModuleMappings: ProtoFileToModuleMappings())
    }

    mutating func emit(_ message: Descriptor) throws {
        subject = message.fullName
        out.line()
        out.open("extension \(namer.fullName(message: message)): Validatable {")
        out.open("\(visibility) func validationViolations() -> [Violation] {")
        let empty = out
        out.line("var violations: [Violation] = []")
        let opened = out.text
        let exclusive = try messageRules(message)
        for field in message.fields {
            subject = "\(message.fullName).\(field.name)"
            try emit(field, inMessageOneof: exclusive.contains(field.name))
        }
        for oneof in message.realOneofs {
            subject = "\(message.fullName).\(oneof.name)"
            try supported(oneof.options.Buf_Validate_oneof, ["required"], kind: "oneof")
            guard oneof.options.Buf_Validate_oneof.required else { continue }
            check("self.\(namer.messagePropertyName(oneof: oneof).name) == nil", path: literal(oneof.name),
                  rule: "required", message: "exactly one field is required in oneof")
        }
        if out.text == opened {
            // Every rule ignored: nothing to check.
            out = empty
            out.line("[]")
        } else {
            out.line("return violations")
        }
        out.close()
        out.close()
    }

    /// The message's own rules: each `oneof` rule over named fields (at most one set; one when
    /// `required`). Returns the fields such rules name: their zero values are not validated.
    private mutating func messageRules(_ message: Descriptor) throws -> Set<String> {
        let rules = message.options.Buf_Validate_message
        try supported(rules, ["oneof"], kind: "message")
        var named = Set<String>()
        for rule in rules.oneof {
            var present: [String] = []
            guard !rule.fields.isEmpty, Set(rule.fields).count == rule.fields.count else {
                throw unsupported("message.oneof", why: "it must name fields, each once")
            }
            for name in rule.fields {
                guard let field = message.fields.first(where: { $0.name == name }) else {
                    throw unsupported("message.oneof", why: "\(message.fullName) has no field \(name)")
                }
                guard field.realContainingOneof == nil else {
                    throw unsupported("message.oneof", why: "\(name) is in a oneof already")
                }
                let property = "self." + namer.messagePropertyNames(field: field, prefixed: "_", includeHasAndClear: true).name
                if field.isRepeated {
                    present.append("!\(property).isEmpty")
                } else if field.hasPresence {
                    present.append("self." + namer.messagePropertyNames(field: field, prefixed: "_", includeHasAndClear: true).has)
                } else {
                    present.append("!(\(try zero(of: field, property)))")
                }
                named.insert(name)
            }
            let list = rule.fields.joined(separator: ", ")
            let count = "[\(present.joined(separator: ", "))].filter({ $0 }).count"
            check("\(count) > 1", path: literal(""), rule: "message.oneof", message: "only one of \(list) can be set")
            if rule.required {
                check("\(count) == 0", path: literal(""), rule: "message.oneof", message: "one of \(list) must be set")
            }
        }
        return named
    }

    // MARK: Writing checks

    /// `if condition { violations.append(…) }`.
    mutating func check(_ condition: String, path: String, rule: String, message: String) {
        out.open("if \(condition) {")
        out.line(appendLine(path: path, rule: rule, message: message))
        out.close()
    }

    /// Writes `opening`, what `body` writes, and `}`; or nothing when `body` writes nothing.
    mutating func block(_ opening: String, _ body: (inout ValidationEmitter) throws -> Void) rethrows {
        let before = out
        out.open(opening)
        let opened = out.text
        try body(&self)
        if out.text == opened {
            out = before
        } else {
            out.close()
        }
    }

    /// The name the file gives the compiled `pattern` (in its Swift form, see ``RE2Pattern``;
    /// compiled here first: one that Swift's `Regex` cannot compile fails generation).
    mutating func pattern(_ pattern: String, rule: String) throws -> String {
        let source: String
        do {
            source = try RE2Pattern.swiftSource(pattern)
        } catch {
            throw unsupported(rule, why: "the pattern \(swiftLiteral(pattern)) is refused: \(error)")
        }
        do {
            _ = try Regex(source)
        } catch {
            throw unsupported(rule, why: "the pattern \(swiftLiteral(pattern)) does not compile: \(error)")
        }
        if let index = patterns.firstIndex(of: source) { return "validationPattern\(index)" }
        patterns.append(source)
        return "validationPattern\(patterns.count - 1)"
    }

    // MARK: Failing generation

    /// Fails unless every rule set on `rules` is one of `names` (its top-level fields' proto
    /// names); `kind` prefixes the rule's name in the error (`string` → `string.uri_ref`).
    /// Extensions (predefined rules) and CEL fields are never supported.
    func supported(_ rules: some SwiftProtobuf.Message, _ names: Set<String>, kind: String) throws {
        for name in setFieldNames(rules) where !names.contains(name) {
            if let number = Int(name) {
                throw unsupported("\(kind) extension \(number)", why: "predefined rules are not supported")
            }
            if name == "cel" || name == "cel_expression" {
                throw unsupported("\(kind).\(name)", why: "CEL expressions are not supported")
            }
            throw unsupported("\(kind).\(name)")
        }
    }

    func unsupported(_ rule: String, why: String = "protoc-gen-kratos-validate does not support it") -> GeneratorError {
        GeneratorError("\(file.name): \(subject): rule \(rule): \(why)")
    }

    /// The proto names of the fields set on `message`, numbers for unknown ones (extensions
    /// this generator does not know), read from its text format's top level.
    private func setFieldNames(_ message: some SwiftProtobuf.Message) -> [String] {
        message.textFormatString().split(separator: "\n").compactMap { line in
            guard let first = line.first, first != " ", first != "}" else { return nil }
            let name = line.prefix { $0 != ":" && $0 != " " && $0 != "{" }
            return name.isEmpty ? nil : String(name)
        }
    }

    /// `text` as the Swift literal of a field path.
    func literal(_ text: String) -> String { swiftLiteral(text) }
}
