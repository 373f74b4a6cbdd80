import KratosVersion
import SwiftProtobuf
import SwiftProtobufPluginLibrary

/// protoc-gen-kratos-openapi: one OpenAPI 3.1 document, `openapi.yaml` (or `openapi.json`), for
/// every file protoc is given, describing the HTTP API exactly as protoc-gen-kratos-http binds it:
///
/// - a path per `google.api.http` binding (`additional_bindings` included; operationId
///   `Service_Method`, then `_1`, `_2`… for the additional ones), RPCs without a rule at
///   `POST /pkg.Svc/Method`; server streams with a rule as `text/event-stream` replies whose
///   events carry the message (named by `x-kratos-event`); client and bidirectional streams and
///   custom verbs OpenAPI 3.1 cannot name (only get, put, post, delete, patch, head, options and
///   trace) are left out;
/// - path parameters by their proto names (`{book.id}`; `{name=shelves/*}` as `{name}` with the
///   segments as a pattern), the request's other fields as query parameters (nested messages as
///   `a.b`, repeated fields exploded) when there is no body or the body is one field, the body
///   (`*`: the request; a field: that field) as JSON;
/// - the reply (or its `response_body` field) as the 200 response, the Kratos error body
///   (`kratos.Error`: code, reason, message, metadata; the reasons the protos' error enums
///   declare listed) as the `default` response;
/// - component schemas of the messages in protojson form (see ``SchemaBuilder``), the
///   `buf.validate` rules JSON Schema can say (see ``ValidationKeywords``), leading comments as
///   summaries and descriptions, `deprecated` on methods, messages and fields.
///
/// Options: `Format=yaml|json` (default yaml), `Title=…`, `Version=…` (the `info` block;
/// defaults: the packages' names and 0.0.1), `DefaultRoutes=false` (as for protoc-gen-kratos-http).
public struct OpenAPIGenerator: CodeGenerator {
    public init() {}

    public var supportedFeatures: [Google_Protobuf_Compiler_CodeGeneratorResponse.Feature] { [.proto3Optional] }
    public var customOptionExtensions: [any AnyMessageExtension] {
        [Google_Api_Extensions_http, Errors_Extensions_default_code, Errors_Extensions_code,
         Buf_Validate_Extensions_message, Buf_Validate_Extensions_oneof, Buf_Validate_Extensions_field]
    }
    public var version: String? { KratosVersion.current }

    /// The plugin's options.
    public struct Options: Sendable, Equatable {
        public var json = false
        public var title: String?
        public var version = "0.0.1"
        public var defaultRoutes = true

        public init() {}

        public init(_ pairs: [(key: String, value: String)]) throws {
            for (key, value) in pairs {
                switch key {
                case "Format":
                    guard ["yaml", "json"].contains(value.lowercased()) else { throw GeneratorError("Format takes yaml or json, not \(value)") }
                    json = value.lowercased() == "json"
                case "Title": title = value
                case "Version": version = value
                case "DefaultRoutes":
                    guard let flag = Bool(value.lowercased()) else { throw GeneratorError("DefaultRoutes takes true or false, not \(value)") }
                    defaultRoutes = flag
                default:
                    throw GeneratorError("unknown option \(key); known: Format, Title, Version, DefaultRoutes")
                }
            }
        }

        public var fileName: String { json ? "openapi.json" : "openapi.yaml" }
    }

    public func generate(files: [FileDescriptor], parameter: any CodeGeneratorParameter,
                         protoCompilerContext: any ProtoCompilerContext, generatorOutputs: any GeneratorOutputs) throws {
        let options = try Options(parameter.parsedPairs)
        let document = try Self.document(for: files, options: options)
        try generatorOutputs.add(fileName: options.fileName, contents: options.json ? document.json() : document.yaml())
    }

    /// The document for `files` (the files protoc was asked to generate).
    static func document(for files: [FileDescriptor], options: Options) throws -> DocumentNode {
        var builder = OperationBuilder(options: options)
        var tags: [DocumentNode] = []
        for file in files {
            for service in file.services {
                var tag: [String: DocumentNode] = ["name": .string(service.name)]
                if let text = Comments(service).text { tag["description"] = .string(text) }
                tags.append(.object(tag))
                // Server streams with an http rule are served as Server-Sent Events; client and
                // bidirectional streams (WebSocket) have no OpenAPI form.
                for method in service.methods where !method.clientStreaming && (!method.serverStreaming || method.options.hasGoogle_Api_http) {
                    try builder.add(method)
                }
            }
        }
        // Every message the files declare, beside those the operations reach.
        var schemas: [String: DocumentNode] = [:]
        var pending = files.flatMap { $0.messages.flatMap(Self.messages) }
        pending += builder.schemas.referenced.values.sorted { $0.fullName < $1.fullName }
        while let message = pending.popLast() {
            guard schemas[message.fullName] == nil, SchemaBuilder.wellKnown(message) == nil else { continue }
            schemas[message.fullName] = try builder.schemas.component(message)
            pending += builder.schemas.referenced.values.filter { schemas[$0.fullName] == nil }.sorted { $0.fullName < $1.fullName }
        }
        schemas[ErrorBody.schemaName] = ErrorBody.schema(reasons: ErrorBody.reasons(in: files))
        let packages = Set(files.map(\.package).filter { !$0.isEmpty }).sorted()
        var info: [String: DocumentNode] = [
            "title": .string(options.title ?? (packages.isEmpty ? "API" : packages.joined(separator: ", "))),
            "version": .string(options.version),
        ]
        info["description"] = .string("Generated by protoc-gen-kratos-openapi from \(files.map(\.name).joined(separator: ", ")).")
        var document: [String: DocumentNode] = [
            "openapi": .string("3.1.0"),
            "info": .object(info),
            "paths": .object(builder.paths.mapValues(DocumentNode.object)),
            "components": .object(["schemas": .object(schemas), "responses": .object([ErrorBody.responseName: ErrorBody.response])]),
        ]
        if !tags.isEmpty { document["tags"] = .array(tags) }
        return .object(document)
    }

    /// A message and the messages nested in it, map entries left out.
    static func messages(_ message: Descriptor) -> [Descriptor] {
        message.options.mapEntry ? [] : [message] + message.messages.flatMap(messages)
    }
}
