import Foundation
import Kratos
import enum MCP.CallTool
import struct MCP.Tool
import enum MCP.Value
import SwiftProtobuf

/// One unary RPC offered to MCP clients as a tool.
///
/// The tool's input schema is the request message in its protojson form (see
/// ``MessageJSONSchema``); a call's arguments are decoded as protojson into the request, run
/// through the HTTP server's middleware for the RPC's operation (as its HTTP route would be), and
/// the reply comes back as protojson text and as structured content. A failed call is a tool
/// result with `isError` and the Kratos error body, `{"code":…,"reason":…,"message":…,"metadata":{}}`.
///
/// ```swift
/// let tool = MCPTool(Helloworld_V1_GreeterOperation.sayHello, description: "Greets someone") {
///     (request: Helloworld_V1_HelloRequest, context) in try await greeter.sayHello(request, context: context)
/// }
/// try server.serveMCP(path: "/mcp", tools: [tool])
/// ```
public struct MCPTool: Sendable {
    /// The tool's name as clients call it, e.g. `Greeter_SayHello`.
    public let name: String
    /// The RPC's operation, `/package.Service/Method`, which selects the middleware.
    public let operation: String
    public let description: String?
    public let annotations: Tool.Annotations
    /// The JSON Schema of the arguments: the request message in protojson form.
    public let inputSchema: Value
    /// Decodes the arguments, then runs the handler inside `chain`'s middleware.
    let invoke: @Sendable (_ arguments: [UInt8], _ context: RequestContext, _ middleware: MiddlewareSet) async throws -> ToolReply

    /// A tool for the RPC `operation` answered by `handler`.
    /// - Parameters:
    ///   - operation: `/package.Service/Method`, as the generated `…Operation` enum spells it.
    ///   - name: the tool name; default `Service_Method` from `operation`.
    ///   - description: what the tool does, for the model (the RPC's proto comment is a good one).
    public init<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String,
        name: String? = nil,
        description: String? = nil,
        annotations: Tool.Annotations = nil,
        request: Input.Type = Input.self,
        reply: Output.Type = Output.self,
        _ handler: @escaping @Sendable (Input, RequestContext) async throws -> Output
    ) {
        self.operation = operation
        self.name = name ?? MCPTool.defaultName(for: operation)
        self.description = description
        self.annotations = annotations
        inputSchema = MessageJSONSchema.schema(for: Input.self)
        invoke = { arguments, context, middleware in
            let codec = JSONCodec()
            let input = try codec.decode(Input.self, from: arguments)
            let chain = middleware.chain(for: operation) { request, context in
                try await handler(context.typed(request, as: Input.self), context)
            }
            let reply = try await RequestContext.$current.withValue(context) {
                try await chain(input, context)
            }
            return ToolReply(json: try codec.encode(reply))
        }
    }

    /// `Service_Method` from `/package.Service/Method`; the operation with its unsafe characters
    /// replaced when it has another form.
    static func defaultName(for operation: String) -> String {
        let parts = operation.split(separator: "/")
        let name: String
        if parts.count == 2, let service = parts[0].split(separator: ".").last {
            name = "\(service)_\(parts[1])"
        } else {
            name = operation
        }
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-")
        return String(name.map { allowed.contains($0) ? $0 : "_" }.prefix(64))
    }

    /// The tool as `tools/list` describes it.
    var descriptor: Tool {
        Tool(name: name, description: description ?? "Calls \(operation).", inputSchema: inputSchema, annotations: annotations)
    }
}

/// A tool call's reply in protojson, before it becomes the tool result.
struct ToolReply: Sendable {
    let json: [UInt8]

    /// The reply as text content and, when it is a JSON object, as structured content.
    var result: CallTool.Result {
        let text = String(decoding: json, as: UTF8.self)
        let structured = try? JSONDecoder().decode(Value.self, from: Data(json))
        let object: Value? = if case .object = structured { structured } else { nil }
        return CallTool.Result(content: [.text(text: text, annotations: nil, _meta: nil)], structuredContent: object, isError: false)
    }

    /// The Kratos error body of `error` as an `isError` result.
    static func failure(_ error: any Error) -> CallTool.Result {
        let body = KratosError(error).jsonBody()
        let structured = try? JSONDecoder().decode(Value.self, from: Data(body))
        return CallTool.Result(content: [.text(text: String(decoding: body, as: UTF8.self), annotations: nil, _meta: nil)], structuredContent: structured, isError: true)
    }
}
