import SwiftProtobuf
import SwiftProtobufPluginLibrary

/// The path items of the document: one operation per HTTP binding of each unary RPC, with its
/// parameters, body and responses as protoc-gen-kratos-http's routes bind them.
struct OperationBuilder {
    let options: OpenAPIGenerator.Options
    var schemas = SchemaBuilder()
    /// Path → method (lower case) → operation.
    private(set) var paths: [String: [String: DocumentNode]] = [:]
    private var operationIDs = Set<String>()

    init(options: OpenAPIGenerator.Options) {
        self.options = options
    }

    /// The verbs a path item can hold (OpenAPI 3.1).
    static let verbs: Set<String> = ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS", "TRACE"]

    mutating func add(_ method: MethodDescriptor) throws {
        var http = GeneratorOptions()
        http.defaultRoutes = options.defaultRoutes
        let comments = Comments(method)
        for (index, binding) in try HTTPGenerator.bindings(of: method, options: http).enumerated() where Self.verbs.contains(binding.method) {
            var operation: [String: DocumentNode] = [
                "operationId": .string(operationID(method, index: index)),
                "tags": .array([.string(method.service.name)]),
            ]
            if let summary = comments.summary { operation["summary"] = .string(summary) }
            if let text = comments.text, text != comments.summary { operation["description"] = .string(text) }
            if method.options.deprecated || method.service.options.deprecated { operation["deprecated"] = .bool(true) }

            var parameters: [DocumentNode] = []
            var bound = Set<String>()
            for variable in HTTPGenerator.variables(in: binding.path) {
                parameters.append(try pathParameter(variable.name, template: binding.path, in: method.inputType))
                bound.insert(variable.name)
            }
            let rawRequest = HTTPGenerator.isHTTPBody(method.inputType)
            switch rawRequest ? "raw" : binding.body {
            case "raw":
                operation["requestBody"] = Self.rawBody
            case "*":
                operation["requestBody"] = body(schemas.schema(of: method.inputType), required: SchemaBuilder.hasRequiredFields(method.inputType))
            case "":
                parameters += try queryParameters(method.inputType, prefix: "", protoPrefix: "", excluding: bound, seen: [])
            default:
                let field = try Self.field(binding.body, in: method.inputType)
                operation["requestBody"] = body(try schemas.singular(field), required: field.messageType.map(SchemaBuilder.hasRequiredFields) ?? false)
                parameters += try queryParameters(method.inputType, prefix: "", protoPrefix: "", excluding: bound.union([binding.body]), seen: [])
            }
            if !parameters.isEmpty { operation["parameters"] = .array(parameters) }

            var content = Self.rawContent
            if !HTTPGenerator.isHTTPBody(method.outputType) {
                let reply = binding.responseBody.isEmpty
                    ? schemas.schema(of: method.outputType)
                    : try schemas.schema(of: Self.field(binding.responseBody, in: method.outputType))
                content = method.serverStreaming
                    ? ["text/event-stream": Self.eventStream(of: reply)]
                    : ["application/json": .object(["schema": reply])]
            }
            operation["responses"] = .object([
                "200": .object(["description": .string(method.serverStreaming ? "A stream of Server-Sent Events" : "OK"),
                                "content": .object(content)]),
                "default": .object(["$ref": .string("#/components/responses/\(ErrorBody.responseName)")]),
            ])
            paths[Self.openAPIPath(binding.path), default: [:]][binding.method.lowercased()] = .object(operation)
        }
    }

    /// A `google.api.HttpBody` body: any content type, the bytes as they are.
    static var rawContent: [String: DocumentNode] { [
        "*/*": .object(["schema": .object(["type": .string("string"), "format": .string("binary")])]),
    ] }
    static var rawBody: DocumentNode { .object(["content": .object(rawContent), "description": .string("The raw body, with its content type (google.api.HttpBody).")]) }

    /// A Server-Sent Events body: OpenAPI 3.1 describes it as text, its events' `data` as the
    /// message (`x-kratos-event`), an error as a final `event: error` with the error body.
    static func eventStream(of message: DocumentNode) -> DocumentNode {
        .object([
            "schema": .object([
                "type": .string("string"),
                "description": .string("One `data:` event per message, as protojson; a failure ends the stream with `event: error` and the error body."),
            ]),
            "x-kratos-event": message,
        ])
    }

    /// `Service_Method` (`_1`… for additional bindings), the package-qualified service name
    /// when another package's service took it.
    private mutating func operationID(_ method: MethodDescriptor, index: Int) -> String {
        let suffix = index == 0 ? "" : "_\(index)"
        var id = "\(method.service.name)_\(method.name)\(suffix)"
        if operationIDs.contains(id) {
            id = method.service.fullName.replacingOccurrences(of: ".", with: "_") + "_\(method.name)\(suffix)"
        }
        operationIDs.insert(id)
        return id
    }

    /// A JSON body; required when its message has required fields (an empty body is the
    /// message with every field at its default).
    private func body(_ schema: DocumentNode, required: Bool) -> DocumentNode {
        var members: [String: DocumentNode] = ["content": .object(["application/json": .object(["schema": schema])])]
        if required { members["required"] = .bool(true) }
        return .object(members)
    }

    /// A path variable: its field's schema and rules; a multi-segment one with the segments it
    /// matches as a pattern.
    private func pathParameter(_ name: String, template: String, in message: Descriptor) throws -> DocumentNode {
        let field = try Self.field(name, in: message)
        var schema = SchemaBuilder.scalarOrEnum(field)
        if let rules = ValidationKeywords(field: field) { schema = rules.applied(to: schema) }
        var parameter: [String: DocumentNode] = ["name": .string(name), "in": .string("path"), "required": .bool(true)]
        if let segments = Self.segmentPattern(of: name, in: template) {
            var members = schema.members
            members["pattern"] = .string(segments.regex)
            schema = .object(members)
            parameter["description"] = .string("Matches `\(segments.template)`; its slashes are part of the path, not escaped.")
        } else if let text = Comments(field).text {
            parameter["description"] = .string(text)
        }
        parameter["schema"] = schema
        return .object(parameter)
    }

    /// The request's fields not bound by the path or the body, as query parameters by JSON name;
    /// fields of nested messages as `a.b` (each message once on a path, so recursive types end).
    private func queryParameters(_ message: Descriptor, prefix: String, protoPrefix: String, excluding: Set<String>,
                                 seen: Set<String>) throws -> [DocumentNode] {
        var parameters: [DocumentNode] = []
        let seen = seen.union([message.fullName])
        for field in message.fields {
            let protoPath = protoPrefix + field.name
            guard !excluding.contains(protoPath), !field.isMap else { continue }
            let name = prefix + SchemaBuilder.jsonName(field)
            if field.type == .message, let nested = field.messageType, SchemaBuilder.wellKnown(nested) == nil {
                guard !field.isRepeated, !seen.contains(nested.fullName) else { continue }
                parameters += try queryParameters(nested, prefix: name + ".", protoPrefix: protoPath + ".", excluding: excluding,
                                                  seen: seen)
                continue
            }
            var schema: DocumentNode
            if field.type == .message, let nested = field.messageType {
                // Well-known types bind from their JSON text; those with no text form are left out.
                guard let known = SchemaBuilder.wellKnown(nested), let type = known.members["type"],
                      type != .string("object"), type != .string("array") else { continue }
                schema = nested.fullName == "google.protobuf.Duration" ? SchemaBuilder.queryDuration : known
                if field.isRepeated { continue }
            } else {
                schema = SchemaBuilder.scalarOrEnum(field)
                if field.isRepeated { schema = .object(["type": .string("array"), "items": schema]) }
            }
            var required = false
            if let rules = ValidationKeywords(field: field) {
                schema = rules.applied(to: schema)
                required = rules.required
            }
            var parameter: [String: DocumentNode] = ["name": .string(name), "in": .string("query"), "schema": schema]
            if required { parameter["required"] = .bool(true) }
            if field.isRepeated { parameter["explode"] = .bool(true); parameter["style"] = .string("form") }
            if let text = Comments(field).text { parameter["description"] = .string(text) }
            if field.options.deprecated { parameter["deprecated"] = .bool(true) }
            parameters.append(.object(parameter))
        }
        return parameters
    }

    /// The field a dotted proto path (`book.id`) names in `message`.
    static func field(_ dotted: String, in message: Descriptor) throws -> FieldDescriptor {
        var current = message
        var found: FieldDescriptor?
        for part in dotted.split(separator: ".") {
            if let previous = found {
                guard let next = previous.messageType else { throw GeneratorError("\(dotted): \(previous.name) is not a message") }
                current = next
            }
            guard let field = current.fields.first(where: { $0.name == part }) else {
                throw GeneratorError("\(message.fullName) has no field \(dotted)")
            }
            found = field
        }
        guard let found else { throw GeneratorError("empty field path in \(message.fullName)") }
        return found
    }

    /// `/v1/{name=shelves/*}` → `/v1/{name}`.
    static func openAPIPath(_ template: String) -> String {
        var out = ""
        var inVariable = false, skipping = false
        for character in template {
            switch character {
            case "{": inVariable = true; out.append(character)
            case "}": inVariable = false; skipping = false; out.append(character)
            case "=" where inVariable: skipping = true
            default: if !skipping { out.append(character) }
            }
        }
        return out
    }

    /// For `{name=shelves/*}`: the segments (`shelves/*`) and a regex matching them.
    static func segmentPattern(of name: String, in template: String) -> (template: String, regex: String)? {
        guard let start = template.range(of: "{" + name + "=") else { return nil }
        let rest = template[start.upperBound...]
        guard let close = rest.firstIndex(of: "}") else { return nil }
        let segments = String(rest[..<close])
        let regex = segments.split(separator: "/", omittingEmptySubsequences: false).map { segment in
            switch segment {
            case "*": "[^/]+"
            case "**": ".+"
            default: ValidationKeywords.escaped(String(segment))
            }
        }.joined(separator: "/")
        return (segments, "^" + regex + "$")
    }
}

extension SchemaBuilder {
    /// The schema of a scalar or enum field's single value (path and query parameters).
    static func scalarOrEnum(_ field: FieldDescriptor) -> DocumentNode {
        if field.type == .enum, let type = field.enumType { return enumSchema(type) }
        return scalar(field.type)
    }
}
