import KratosVersion
import SwiftProtobuf
import SwiftProtobufPluginLibrary

/// protoc-gen-kratos-http: for each service, its registration on `KratosHTTPServer` and a typed HTTP
/// client, in `<proto>.http.swift`; and the shared `<proto>.kratos.swift` with the operation
/// constants and the service protocol they use (see ``ServiceFile``; option `Shared=false` leaves
/// it to protoc-gen-kratos-grpc).
///
/// Every `google.api.http` rule becomes a route: get/put/post/delete/patch and custom verbs,
/// `additional_bindings`, `body: "*"` or a field, `response_body`, `{var}`, `{var=a/*}` and dotted
/// variables. RPCs without a rule get `POST /pkg.Svc/Method` (option `DefaultRoutes=false` turns
/// that off). Server-streaming RPCs with a rule are served as Server-Sent Events
/// (`KratosHTTPServer.serverStreaming`, and a typed client method on
/// `KratosHTTPClient.serverStreaming`); client and bidirectional streams with a rule over
/// WebSocket (`KratosHTTPServer.clientStreaming`/`bidiStreaming`, a `GET` handshake on the rule's
/// path whatever its verb; no typed client method); streams without a rule are left to the gRPC
/// transport. A unary RPC taking `google.api.HttpBody` binds the raw body (`body: .httpBody`),
/// one returning it answers the raw body (`responseBody: .httpBody`); the typed client leaves
/// such RPCs out.
public struct HTTPGenerator: CodeGenerator {
    public init() {}

    public var supportedFeatures: [Google_Protobuf_Compiler_CodeGeneratorResponse.Feature] { [.proto3Optional] }
    public var customOptionExtensions: [any AnyMessageExtension] { [Google_Api_Extensions_http] }
    public var version: String? { KratosVersion.current }

    public func generate(files: [FileDescriptor], parameter: any CodeGeneratorParameter,
                         protoCompilerContext: any ProtoCompilerContext, generatorOutputs: any GeneratorOutputs) throws {
        let options = try GeneratorOptions(parameter.parsedPairs)
        for file in files where !file.services.isEmpty {
            try generatorOutputs.add(fileName: options.outputName(for: file.name, suffix: ".http.swift"),
                                     contents: try Self.source(for: file, options: options))
        }
        try ServiceFile.add(for: files, options: options, to: generatorOutputs)
    }

    /// One route of a method.
    struct Binding {
        let method: String
        let path: String
        let body: String
        let responseBody: String
    }

    static func bindings(of method: MethodDescriptor, options: GeneratorOptions) throws -> [Binding] {
        guard method.options.hasGoogle_Api_http else {
            return options.defaultRoutes ? [Binding(method: "POST", path: "/\(method.service.fullName)/\(method.name)", body: "*", responseBody: "")] : []
        }
        let rule = method.options.Google_Api_http
        return try ([rule] + rule.additionalBindings).map { rule in
            let (verb, path): (String, String) = switch rule.pattern {
            case .get(let path)?: ("GET", path)
            case .put(let path)?: ("PUT", path)
            case .post(let path)?: ("POST", path)
            case .delete(let path)?: ("DELETE", path)
            case .patch(let path)?: ("PATCH", path)
            case .custom(let custom)?: (custom.kind.uppercased(), custom.path)
            case nil: throw GeneratorError("\(method.fullName): an http rule needs a method and a path")
            }
            let standard = ["GET", "PUT", "POST", "DELETE", "PATCH"].contains(verb)
            guard standard || Self.customMethods.contains(verb) else {
                throw GeneratorError("""
                    \(method.fullName): custom method \(verb) is not one SwiftNIO's HTTP/1 parser accepts; \
                    use one of \(Self.customMethods.sorted().joined(separator: " "))
                    """)
            }
            return Binding(method: verb, path: path, body: rule.body, responseBody: rule.responseBody)
        }
    }

    /// The variables of a path template, in order (`{book.id}`, `{name=shelves/*}` → book.id, name).
    static func variables(in path: String) -> [(name: String, multiSegment: Bool)] {
        var result: [(String, Bool)] = []
        var rest = Substring(path)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            let inner = rest[rest.index(after: open)..<close]
            let name = inner.prefix { $0 != "=" }
            let pattern = inner.contains("=") ? inner.drop { $0 != "=" }.dropFirst() : "*"
            result.append((String(name), pattern != "*"))
            rest = rest[rest.index(after: close)...]
        }
        return result
    }

    /// `request.book.id` for the dotted field path `book.id` of `message`.
    static func accessor(_ dotted: String, in message: Descriptor, namer: SwiftProtobufNamer, root: String) throws -> (code: String, field: FieldDescriptor) {
        var code = root
        var current = message
        var found: FieldDescriptor?
        for (index, part) in dotted.split(separator: ".").enumerated() {
            guard let field = current.fields.first(where: { $0.name == part }) else {
                throw GeneratorError("\(message.fullName) has no field \(dotted)")
            }
            code += "." + namer.messagePropertyNames(field: field, prefixed: "", includeHasAndClear: false).name
            found = field
            if index < dotted.split(separator: ".").count - 1 {
                guard let next = field.messageType else { throw GeneratorError("\(dotted): \(part) is not a message") }
                current = next
            }
        }
        guard let found else { throw GeneratorError("empty field path") }
        return (code, found)
    }

    /// The JSON name of a `response_body` that is not a singular message (a scalar, repeated or
    /// map field: go-kratos allows any field), or nil for a message field.
    static func responseFieldName(_ path: String, field: FieldDescriptor, method: MethodDescriptor) throws -> String? {
        if field.messageType != nil, !field.isMap, field.label != .repeated { return nil }
        guard !path.contains(".") else {
            throw GeneratorError("\(method.fullName): response_body \(path) names a field inside a message; only messages can be nested there")
        }
        return field.jsonName ?? field.name
    }

    public static func source(for file: FileDescriptor, options: GeneratorOptions) throws -> String {
        let open = options.visibility
        var out = SwiftWriter()
        out.line("// DO NOT EDIT.")
        out.line("// Generated by protoc-gen-kratos-http from \(file.name).")
        out.line()
        out.line("import Kratos")
        out.line("import KratosHTTP")
        if options.client { out.line("import KratosHTTPClient") }
        // Well-known types are named SwiftProtobuf.Google_Protobuf_….
        out.line("import SwiftProtobuf")
        for service in file.services {
            let names = ServiceNames(service, file: file)
            let namer = names.namer
            let unary = service.methods.filter { !$0.clientStreaming && !$0.serverStreaming }
            let serverStreams = service.methods.filter { !$0.clientStreaming && $0.serverStreaming && $0.options.hasGoogle_Api_http }
            let webSockets = service.methods.filter { $0.clientStreaming && $0.options.hasGoogle_Api_http }

            out.line()
            try out.block("extension \(names.serviceProtocol) {") { out in
                out.line("/// Registers the HTTP routes of \(service.fullName) on `server`. Server streams with an http rule are")
                out.line("/// served as Server-Sent Events, client and bidirectional streams with one over WebSocket; streams")
                out.line("/// without a rule over gRPC only.")
                try out.block("\(open) func register(on server: KratosHTTPServer) throws {") { out in
                    for method in unary {
                        let input = names.input(method)
                        for binding in try bindings(of: method, options: options) {
                            var arguments = try routeArguments(binding, of: method, names: names)
                            if isHTTPBody(method.outputType) {
                                arguments += ", responseBody: .httpBody"
                            } else if !binding.responseBody.isEmpty {
                                let (code, field) = try accessor(binding.responseBody, in: method.outputType, namer: namer, root: "$0")
                                if let name = try responseFieldName(binding.responseBody, field: field, method: method) {
                                    arguments += ", responseBody: .field(\(swiftLiteral(name))) { \(code) }"
                                } else {
                                    arguments += ", responseBody: .message { \(code) }"
                                }
                            }
                            out.block("try server.route(\(arguments)) { (request: \(input), context) in") { out in
                                out.line("try await self.\(names.member(method))(request, context: context)")
                            }
                        }
                    }
                    for method in serverStreams {
                        let input = names.input(method), output = names.output(method)
                        for binding in try bindings(of: method, options: options) {
                            guard binding.responseBody.isEmpty else {
                                throw GeneratorError("\(method.fullName): response_body is not supported on a server-streaming method")
                            }
                            let arguments = try routeArguments(binding, of: method, names: names)
                            out.block("try server.serverStreaming(\(arguments)) { (request: \(input), writer: MessageWriter<\(output)>, context) in") { out in
                                out.line("try await self.\(names.member(method))(request, writer: writer, context: context)")
                            }
                        }
                    }
                    for method in webSockets {
                        let input = names.input(method), output = names.output(method)
                        for binding in try bindings(of: method, options: options) {
                            // A WebSocket handshake is a GET, whatever verb the rule names.
                            let arguments = ".GET, \(swiftLiteral(binding.path)), operation: \(names.operation(method))"
                            if method.serverStreaming {
                                out.block("try server.bidiStreaming(\(arguments)) { (requests: MessageStream<\(input)>, writer: MessageWriter<\(output)>, context) in") { out in
                                    out.line("try await self.\(names.member(method))(requests, writer: writer, context: context)")
                                }
                            } else {
                                out.block("try server.clientStreaming(\(arguments)) { (requests: MessageStream<\(input)>, context) in") { out in
                                    out.line("try await self.\(names.member(method))(requests, context: context)")
                                }
                            }
                        }
                    }
                }
            }

            guard options.client else { continue }
            out.line()
            out.line("/// A typed HTTP client of \(service.fullName); calls use each RPC's first binding.")
            try out.block("\(open) struct \(names.prefix)HTTPClient: Sendable {") { out in
                out.line("\(open) let client: KratosHTTPClient")
                out.line()
                out.block("\(open) init(_ client: KratosHTTPClient) {") { out in out.line("self.client = client") }
                for method in unary where !isHTTPBody(method.inputType) && !isHTTPBody(method.outputType) {
                    guard let binding = try bindings(of: method, options: options).first else { continue }
                    let input = names.input(method), output = names.output(method)
                    out.line()
                    try out.block("\(open) func \(names.member(method))(_ request: \(input)) async throws -> \(output) {") { out in
                        let (path, body) = try clientRequest(binding, of: method, names: names)
                        out.line("let path = " + path)
                        let call = "try await client.invoke(\(verbExpression(binding.method)), path, operation: \(names.operation(method)), body: \(body)"
                        if binding.responseBody.isEmpty {
                            out.line("return \(call), as: \(output).self)")
                        } else {
                            let (code, field) = try accessor(binding.responseBody, in: method.outputType, namer: namer, root: "reply")
                            if let name = try responseFieldName(binding.responseBody, field: field, method: method) {
                                out.line("return \(call), responseField: \(swiftLiteral(name)), as: \(output).self)")
                            } else if let type = field.messageType {
                                out.line("var reply = \(output)()")
                                out.line("\(code) = \(call), as: \(namer.fullName(message: type)).self)")
                                out.line("return reply")
                            }
                        }
                    }
                }
                for method in serverStreams {
                    guard let binding = try bindings(of: method, options: options).first else { continue }
                    let input = names.input(method), output = names.output(method)
                    out.line()
                    out.line("/// Reads the Server-Sent Events stream, handing each message to `onMessage` as it arrives.")
                    try out.block("\(open) func \(names.member(method))(_ request: \(input), onMessage: @escaping @Sendable (\(output)) async throws -> Void) async throws {") { out in
                        let (path, body) = try clientRequest(binding, of: method, names: names)
                        out.line("let path = " + path)
                        out.line("try await client.serverStreaming(\(verbExpression(binding.method)), path, operation: \(names.operation(method)), body: \(body), as: \(output).self, onMessage: onMessage)")
                    }
                }
            }
        }
        return out.text
    }

    /// A client call's path expression (the template's literal pieces and escaped variable
    /// values, then the query for bodiless bindings) and body expression.
    static func clientRequest(_ binding: Binding, of method: MethodDescriptor, names: ServiceNames) throws -> (path: String, body: String) {
        var pieces: [String] = []
        var bound: [String] = []
        var rest = Substring(binding.path)
        for variable in variables(in: binding.path) {
            guard let open = rest.range(of: "{" + variable.name)?.lowerBound, let close = rest[open...].firstIndex(of: "}") else {
                throw GeneratorError("\(method.fullName): cannot find {\(variable.name)} in \(binding.path)")
            }
            if open > rest.startIndex { pieces.append(swiftLiteral(String(rest[..<open]))) }
            let (code, _) = try accessor(variable.name, in: method.inputType, namer: names.namer, root: "request")
            pieces.append("KratosHTTPClient.escape(String(describing: \(code)), keepingSlashes: \(variable.multiSegment))")
            bound.append(variable.name)
            rest = rest[rest.index(after: close)...]
        }
        if !rest.isEmpty { pieces.append(swiftLiteral(String(rest))) }
        let query = binding.body.isEmpty ? " + KratosHTTPClient.query(request, excluding: [\(bound.map(swiftLiteral).joined(separator: ", "))])" : ""
        let body = switch binding.body {
        case "": "nil"
        case "*": "request"
        default: try accessor(binding.body, in: method.inputType, namer: names.namer, root: "request").code
        }
        return (pieces.joined(separator: " + ") + query, body)
    }

    /// Whether `message` is `google.api.HttpBody`: a raw body, not a message to encode.
    static func isHTTPBody(_ message: Descriptor) -> Bool {
        message.fullName == "google.api.HttpBody"
    }

    /// The method, path, operation and body binding of a route registration.
    static func routeArguments(_ binding: Binding, of method: MethodDescriptor, names: ServiceNames) throws -> String {
        var arguments = "\(verbExpression(binding.method)), \(swiftLiteral(binding.path)), operation: \(names.operation(method))"
        if isHTTPBody(method.inputType) { return arguments + ", body: .httpBody" }
        switch binding.body {
        case "": break
        case "*": arguments += ", body: .all"
        default:
            let (code, field) = try accessor(binding.body, in: method.inputType, namer: names.namer, root: "input")
            guard let type = field.messageType.map({ names.namer.fullName(message: $0) }) else {
                throw GeneratorError("\(method.fullName): body \(binding.body) must be a message field")
            }
            arguments += ", body: .field { input, request in \(code) = try request.decodeBody(\(type).self) }"
        }
        return arguments
    }

    /// The methods beyond get/put/post/delete/patch that the server's HTTP/1 parser (llhttp, in
    /// SwiftNIO) accepts; any other would be answered 400 before reaching a route.
    static let customMethods: Set<String> = [
        "HEAD", "OPTIONS", "TRACE", "COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH", "SEARCH", "UNLOCK",
        "BIND", "REBIND", "UNBIND", "ACL", "REPORT", "MKACTIVITY", "CHECKOUT", "MERGE", "M-SEARCH", "NOTIFY",
        "SUBSCRIBE", "UNSUBSCRIBE", "PURGE", "MKCALENDAR", "LINK", "UNLINK", "SOURCE", "QUERY",
    ]

    /// `.GET` for the standard verbs, `.init(rawValue: "…")` (NIO's own case for a method it knows) for custom ones.
    static func verbExpression(_ verb: String) -> String {
        ["GET", "PUT", "POST", "DELETE", "PATCH", "HEAD", "OPTIONS"].contains(verb) ? ".\(verb)" : ".init(rawValue: \(swiftLiteral(verb)))"
    }
}
