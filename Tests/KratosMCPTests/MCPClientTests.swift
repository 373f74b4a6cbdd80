import Foundation
import Kratos
import KratosHTTP
import KratosMCP
import KratosTestSupport
import Logging
import MCP
import Testing

/// The SDK's own client, over streamable HTTP (no SSE: the endpoint is stateless JSON), against a
/// real server.
@Suite struct MCPClientTests {
    @discardableResult
    func connected<T>(_ server: KratosHTTPServer, _ body: (Client) async throws -> T) async throws -> T {
        try await withServer(server) { endpoint in
            let url = try #require(URL(string: endpoint + "/mcp"))
            let client = Client(name: "kratos-tests", version: "1.0.0")
            let initialized = try await client.connect(transport: HTTPClientTransport(endpoint: url, streaming: false))
            #expect(initialized.capabilities.tools != nil)
            defer { Task { await client.disconnect() } }
            return try await body(client)
        }
    }

    @Test func listsTheToolsWithTheirRequestSchemas() async throws {
        try await connected(try mcpServer()) { client in
            let (tools, _) = try await client.listTools()
            #expect(tools.map(\.name) == ["Greeter_SayHello", "Accounts_Register"])
            let hello = try #require(tools.first)
            #expect(hello.description == "Greets someone by name.")
            #expect(hello.inputSchema.objectValue?["type"] == "object")
            #expect(hello.inputSchema.objectValue?["properties"]?.objectValue?["name"] == ["type": "string"])
            let register = try #require(tools.last?.inputSchema.objectValue?["properties"]?.objectValue)
            #expect(Set(register.keys) == ["name", "email", "age", "tags"])
            #expect(register["tags"] == ["type": "array", "items": ["type": "string"]])
            #expect(register["age"] == ["type": "integer"])
        }
    }

    @Test func callsSayHelloAndGetsTheReply() async throws {
        try await connected(try mcpServer()) { client in
            let (content, isError) = try await client.callTool(name: "Greeter_SayHello", arguments: ["name": "kratos"])
            #expect(isError != true)
            guard case .text(let text, _, _)? = content.first else { Issue.record("no text content: \(content)"); return }
            #expect(text == #"{"message":"Hello kratos via /kratos.test.v1.Greeter/SayHello"}"#)
        }
    }

    @Test func aKratosErrorIsAnErrorResultWithTheErrorBody() async throws {
        try await connected(try mcpServer()) { client in
            let (content, isError) = try await client.callTool(name: "Greeter_SayHello", arguments: ["name": "nobody"])
            #expect(isError == true)
            guard case .text(let text, _, _)? = content.first else { Issue.record("no text content: \(content)"); return }
            let body = try JSONDecoder().decode([String: Value].self, from: Data(text.utf8))
            #expect(body["code"] == 404)
            #expect(body["reason"] == "USER_NOT_FOUND")
            #expect(body["message"] == "no user named nobody")
            #expect(body["metadata"] == ["name": "nobody"])
        }
    }

    @Test func argumentsThatAreNotTheRequestAreAnErrorResult() async throws {
        try await connected(try mcpServer()) { client in
            let (content, isError) = try await client.callTool(name: "Accounts_Register", arguments: ["age": "old"])
            #expect(isError == true)
            guard case .text(let text, _, _)? = content.first else { Issue.record("no text content: \(content)"); return }
            #expect(text.contains(#""reason":"CODEC""#))
        }
    }

    @Test func anUnknownToolIsAProtocolError() async throws {
        try await connected(try mcpServer()) { client in
            await #expect(throws: MCPError.self) {
                _ = try await client.callTool(name: "Greeter_Nothing", arguments: [:])
            }
        }
    }

    @Test func toolCallsRunThroughTheServersMiddleware() async throws {
        let counting = CountingMiddleware()
        let server = try mcpServer(middleware: [Recovery(), counting])
        // Selected by operation, and added after serveMCP: the middleware is read once the server runs.
        server.use(["/kratos.test.v1.Accounts/*"], ValidateMiddleware())
        try await connected(server) { client in
            _ = try await client.listTools()
            _ = try await client.callTool(name: "Greeter_SayHello", arguments: ["name": "kratos"])
            let (content, isError) = try await client.callTool(name: "Accounts_Register",
                                                               arguments: ["name": "", "email": "not-an-email", "age": 7])
            #expect(isError == true)
            guard case .text(let text, _, _)? = content.first else { Issue.record("no text content: \(content)"); return }
            #expect(text.contains(#""code":400"#))
            #expect(text.contains(#""reason":"VALIDATOR""#))
            let (valid, validError) = try await client.callTool(name: "Accounts_Register",
                                                                arguments: ["name": "ada", "email": "ada@example.com", "age": 36])
            #expect(validError != true)
            #expect(valid.first == .text(text: #"{"id":"1","name":"ada"}"#, annotations: nil, _meta: nil))
        }
        // Only tool calls are operations: initialize and tools/list are not.
        #expect(counting.operations == [Kratos_Test_V1_GreeterOperation.sayHello, Kratos_Test_V1_AccountsOperation.register,
                                        Kratos_Test_V1_AccountsOperation.register])
    }
}
