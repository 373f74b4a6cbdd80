import Foundation
import Kratos
import KratosHTTP
import Logging
import struct MCP.AcceptHeaderValidator
import enum MCP.CallTool
import struct MCP.ContentTypeValidator
import struct MCP.HTTPRequest
import enum MCP.HTTPResponse
import enum MCP.ListTools
import struct MCP.Tool
import enum MCP.MCPError
import struct MCP.OriginValidator
import struct MCP.ProtocolVersionValidator
import class MCP.Server
import struct MCP.StandardValidationPipeline
import class MCP.StatelessHTTPServerTransport
import NIOCore
import NIOHTTP1

/// What an MCP endpoint says of itself and which requests it accepts.
public struct MCPOptions: Sendable {
    /// The server name in the `initialize` answer; nil takes the app's name (else `kratos`).
    public var name: String?
    /// The server version in the `initialize` answer; nil takes the app's version (else `0.0.0`).
    public var version: String?
    /// Instructions for the model, sent in the `initialize` answer.
    public var instructions: String?
    /// DNS rebinding protection (the spec's `Origin` check, and `Host`): localhost by default, as
    /// the SDK's; a service reached by other names lists them (`OriginValidator(allowedHosts:allowedOrigins:)`)
    /// or passes `.disabled`.
    public var origins: OriginValidator

    public init(name: String? = nil, version: String? = nil, instructions: String? = nil,
                origins: OriginValidator = .localhost()) {
        self.name = name
        self.version = version
        self.instructions = instructions
        self.origins = origins
    }
}

extension KratosHTTPServer {
    /// Serves `tools` to MCP clients over streamable HTTP at `path` (go-kratos's MCP transport,
    /// here on the service's own HTTP server).
    ///
    /// Stateless: each POST carries one JSON-RPC message and is answered `application/json`
    /// (no sessions, no server-sent events; GET and DELETE are answered 405). Requests are checked
    /// as the SDK checks them (`Accept` must include `application/json`, `Content-Type` must be
    /// `application/json`, a known `MCP-Protocol-Version`, `Origin`/`Host` per `options.origins`)
    /// and bounded by the server's `maxBodySize`. Malformed JSON-RPC gets a JSON-RPC parse error.
    ///
    /// The endpoint itself is mounted outside the middleware (like ``handle(_:_:_:)``); each tool
    /// call runs through the server's middleware for the tool's operation, with the HTTP
    /// request's headers and metadata, so auth, validation, logging and metrics see it as they
    /// see the RPC's HTTP route. Filters apply to the endpoint.
    /// - Throws: 500 `MCP_DUPLICATE_TOOL` when two tools share a name; `REGISTERED_AFTER_BIND`
    ///   once the server has bound.
    public func serveMCP(path: String = "/mcp", tools: [MCPTool], options: MCPOptions = MCPOptions()) throws {
        var byName: [String: MCPTool] = [:]
        for tool in tools {
            guard byName.updateValue(tool, forKey: tool.name) == nil else {
                throw KratosError.internalServer("MCP_DUPLICATE_TOOL", "two MCP tools are named \(tool.name)")
            }
        }
        let core = self.core
        let endpoint = MCPEndpoint(descriptors: tools.map(\.descriptor), byName: byName, options: options, logger: configuration.logger) {
            core.registered.middleware
        }
        for method in [HTTPMethod.POST, .GET, .DELETE] {
            try handle(method, path) { request in await endpoint.respond(to: request) }
        }
    }
}

/// One MCP endpoint: each HTTP request gets a stateless SDK server of its own, whose handlers
/// see that request, so tool calls run with its context and never meet another client's
/// JSON-RPC ids.
struct MCPEndpoint: Sendable {
    /// The tools as `tools/list` describes them, in the order given.
    let descriptors: [Tool]
    let byName: [String: MCPTool]
    let options: MCPOptions
    let logger: Logger
    /// The server's middleware, final once it has bound.
    let middleware: @Sendable () -> MiddlewareSet

    func respond(to request: KratosHTTP.HTTPRequest) async -> KratosHTTP.HTTPResponse {
        let transport = StatelessHTTPServerTransport(
            validationPipeline: StandardValidationPipeline(validators: [
                options.origins, AcceptHeaderValidator(mode: .jsonOnly), ContentTypeValidator(), ProtocolVersionValidator(),
            ]),
            logger: logger)
        let app = request.context.app
        let server = Server(name: options.name ?? app?.name ?? "kratos", version: options.version ?? app?.version ?? "0.0.0",
                            instructions: options.instructions, capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { [descriptors] _ in ListTools.Result(tools: descriptors) }
        await server.withMethodHandler(CallTool.self) { parameters in try await call(parameters, for: request) }
        do {
            try await server.start(transport: transport)
        } catch {
            logger.error("MCP server did not start", metadata: ["error": "\(error)"])
            return Self.response(.error(statusCode: 500, .internalError("MCP server did not start")))
        }
        let answer = await withTaskCancellationHandler {
            await transport.handleRequest(MCP.HTTPRequest(
                method: request.method.rawValue, headers: Self.headers(of: request), body: request.body.map { Data($0.readableBytesView) },
                path: String(request.path)))
        } onCancel: {
            // Past the server's deadline: the waiting request ends (the tool call is cancelled by its own deadline).
            Task { await transport.disconnect() }
        }
        await server.stop()
        return Self.response(answer)
    }

    /// Runs a `tools/call`: an unknown tool is a JSON-RPC error; the tool's own failures
    /// (arguments that do not decode, middleware refusing, the handler throwing, the deadline
    /// passing) are `isError` results with the Kratos error body.
    func call(_ parameters: CallTool.Parameters, for request: KratosHTTP.HTTPRequest) async throws -> CallTool.Result {
        guard let tool = byName[parameters.name] else {
            throw MCPError.invalidParams("Unknown tool: \(parameters.name)")
        }
        let http = request.context
        let context = RequestContext(kind: .http, endpoint: http.endpoint, operation: tool.operation, requestHeaders: http.requestHeaders,
                                     metadata: http.metadata, deadline: http.deadline, logger: http.logger, app: http.app,
                                     method: http.method, path: http.path, route: http.route)
        let middleware = self.middleware()
        do {
            let arguments = try JSONEncoder().encode(parameters.arguments ?? [:])
            return try await Deadline.run(until: context.deadline) {
                try await tool.invoke(Array(arguments), context, middleware)
            }.result
        } catch {
            return ToolReply.failure(error)
        }
    }

    /// The request's headers for the SDK's validators, repeated ones joined with commas.
    static func headers(of request: KratosHTTP.HTTPRequest) -> [String: String] {
        var headers: [String: String] = [:]
        for (name, value) in request.headers {
            let key = name.lowercased()
            headers[key] = headers[key].map { "\($0), \(value)" } ?? value
        }
        return headers
    }

    static func response(_ answer: MCP.HTTPResponse) -> KratosHTTP.HTTPResponse {
        var headers = HTTPHeaders()
        for (name, value) in answer.headers {
            headers.add(name: name, value: value)
        }
        let body = answer.bodyData.map { ByteBuffer(bytes: $0) }
        return KratosHTTP.HTTPResponse(status: HTTPResponseStatus(statusCode: answer.statusCode), headers: headers, body: body)
    }
}
