import SwiftProtobufPluginLibrary

/// The Kratos error body every failed request gets (`KratosError.jsonBody()`):
/// `{"code":404,"reason":"USER_NOT_FOUND","message":"…","metadata":{}}`, the HTTP status = code.
enum ErrorBody {
    static let schemaName = "kratos.Error"
    static let responseName = "kratos.Error"

    /// The `default` response of every operation.
    static let response: DocumentNode = .object([
        "description": .string("The error: its code is the HTTP status."),
        "content": .object(["application/json": .object(["schema": .object(["$ref": .string("#/components/schemas/\(schemaName)")])])]),
    ])

    /// The reasons the error enums of `files` and their imports declare (protoc-gen-kratos-errors'
    /// options), with their codes: a value's `(errors.code)`, else its enum's
    /// `(errors.default_code)`; code 0 declares nothing.
    static func reasons(in files: [FileDescriptor]) -> [(reason: String, code: Int32)] {
        var seen = Set<String>()
        var found: [(String, Int32)] = []
        func visit(_ file: FileDescriptor) {
            guard seen.insert(file.name).inserted else { return }
            file.dependencies.forEach(visit)
            for type in file.enums + file.messages.flatMap(enums) {
                let fallback = type.options.Errors_defaultCode
                for value in type.values {
                    let code = value.options.hasErrors_code ? value.options.Errors_code : fallback
                    if code != 0, !found.contains(where: { $0.0 == value.name }) { found.append((value.name, code)) }
                }
            }
        }
        files.forEach(visit)
        return found.sorted { $0.0 < $1.0 }
    }

    private static func enums(_ message: Descriptor) -> [EnumDescriptor] {
        message.enums + message.messages.flatMap(enums)
    }

    static func schema(reasons: [(reason: String, code: Int32)]) -> DocumentNode {
        var reason: [String: DocumentNode] = [
            "type": .string("string"),
            "description": .string("""
                Why it failed, in UPPER_SNAKE_CASE: a reason the protos' error enums declare, one of the framework's \
                (VALIDATOR, CODEC, NOT_FOUND, METHOD_NOT_ALLOWED, …) or empty for an unexpected error.
                """),
        ]
        if !reasons.isEmpty {
            let declared = reasons.map { "\($0.reason) (\($0.code))" }.joined(separator: ", ")
            reason["anyOf"] = .array([
                .object(["enum": .array(reasons.map { .string($0.reason) }), "description": .string("Declared: \(declared).")]),
                .object(["description": .string("Another reason.")]),
            ])
        }
        return .object([
            "type": .string("object"),
            "description": .string("A Kratos error."),
            "required": .array(["code", "reason", "message", "metadata"].map(DocumentNode.string)),
            "properties": .object([
                "code": .object(["type": .string("integer"), "format": .string("int32"), "description": .string("The HTTP status.")]),
                "reason": .object(reason),
                "message": .object(["type": .string("string"), "description": .string("What went wrong, for people.")]),
                "metadata": .object(["type": .string("object"), "additionalProperties": .object(["type": .string("string")]),
                                     "description": .string("Details, as string pairs.")]),
            ]),
        ])
    }
}
