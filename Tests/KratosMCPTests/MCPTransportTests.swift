import Foundation
import Kratos
import KratosHTTP
import KratosMCP
import KratosTestSupport
import Testing

/// The streamable HTTP endpoint as curl (an independent HTTP client) sees it: the SDK's request
/// checks, stateless answers, bounded bodies, garbage, and concurrent clients.
@Suite struct MCPTransportTests {
    static let json = ["-H", "content-type: application/json", "-H", "accept: application/json, text/event-stream"]

    func post(_ endpoint: String, _ body: String, headers: [String] = json) async throws -> CurlReply {
        try await curl(["-X", "POST", endpoint + "/mcp"] + headers + ["--data-binary", body])
    }

    func call(_ name: String, _ arguments: String, id: Int = 1) -> String {
        #"{"jsonrpc":"2.0","id":\#(id),"method":"tools/call","params":{"name":"\#(name)","arguments":\#(arguments)}}"#
    }

    @Test func aToolCallIsAnsweredWithJSONTextAndStructuredContent() async throws {
        try await withServer(try mcpServer()) { endpoint in
            let reply = try await post(endpoint, call("Greeter_SayHello", #"{"name":"kratos"}"#),
                                       headers: Self.json + ["-H", "x-md-global-tenant: acme"])
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"] == "application/json")
            let result = try #require(try reply.json()["result"] as? [String: Any])
            let structured = try #require(result["structuredContent"] as? [String: Any])
            // The HTTP request's metadata reaches the handler through the tool call's context.
            #expect(structured["message"] as? String == "Hello kratos of acme via /kratos.test.v1.Greeter/SayHello")
            #expect(result["isError"] as? Bool == false)
        }
    }

    @Test func garbageGetsAJSONRPCParseError() async throws {
        try await withServer(try mcpServer()) { endpoint in
            for body in ["{not json", "[]", "42", #"{"jsonrpc":"2.0"}"#, String(repeating: "[", count: 10000)] {
                let reply = try await post(endpoint, body)
                #expect(reply.status == 400, "\(body.prefix(20))")
                let error = try #require(try reply.json()["error"] as? [String: Any])
                #expect(error["code"] as? Int == -32700)
            }
            // The server still answers afterwards.
            #expect(try await post(endpoint, call("Greeter_SayHello", #"{"name":"a"}"#)).status == 200)
        }
    }

    /// A message the SDK takes for a response to nothing gets no JSON-RPC answer: the server's
    /// deadline answers it, and the request waiting for it ends.
    @Test func aMessageTheSDKNeverAnswersEndsAtTheDeadline() async throws {
        try await withServer(try mcpServer(timeout: .milliseconds(500))) { endpoint in
            let started = ContinuousClock.now
            let reply = try await post(endpoint, #"{"jsonrpc":"2.0","id":3,"method":"ping","result":{}}"#)
            #expect(reply.status == 504)
            #expect(ContinuousClock.now - started < .seconds(5))
            #expect(try await post(endpoint, call("Greeter_SayHello", #"{"name":"a"}"#)).status == 200)
        }
    }

    @Test func requestsAreCheckedAsTheSDKChecksThem() async throws {
        try await withServer(try mcpServer()) { endpoint in
            let ping = #"{"jsonrpc":"2.0","id":7,"method":"ping"}"#
            #expect(try await post(endpoint, ping).status == 200)
            #expect(try await post(endpoint, ping, headers: ["-H", "content-type: application/json", "-H", "accept: text/plain"]).status == 406)
            #expect(try await post(endpoint, ping, headers: ["-H", "content-type: text/plain", "-H", "accept: application/json"]).status == 415)
            #expect(try await post(endpoint, ping, headers: Self.json + ["-H", "mcp-protocol-version: 1999-01-01"]).status == 400)
            #expect(try await post(endpoint, ping, headers: Self.json + ["-H", "origin: http://evil.example"]).status == 403)
            let notification = #"{"jsonrpc":"2.0","method":"notifications/initialized"}"#
            #expect(try await post(endpoint, notification).status == 202)
            for method in ["GET", "DELETE"] {
                let reply = try await curl(["-X", method, endpoint + "/mcp", "-H", "accept: text/event-stream"])
                #expect(reply.status == 405)
                #expect(reply.headers["allow"] == "POST")
            }
        }
    }

    @Test func aBodyOverTheServersLimitIsRefused() async throws {
        let server = loopbackServer(maxBodySize: 1024)
        try server.serveMCP(tools: [MCPTool(Kratos_Test_V1_GreeterOperation.sayHello, MCPGreeter().sayHello(_:context:))])
        try await withServer(server) { endpoint in
            let reply = try await post(endpoint, call("Greeter_SayHello", #"{"name":"\#(String(repeating: "x", count: 4096))"}"#))
            #expect(reply.status == 413)
        }
    }

    /// Every request gets a server of its own: clients reusing JSON-RPC ids never get another's
    /// answer. (Python's threads, in a process of their own: 32 curl processes would tie up this
    /// process's Dispatch threads, which the Swift concurrency pool on Linux shares.)
    @Test func concurrentCallsWithTheSameIDGetTheirOwnAnswers() async throws {
        try await withServer(try mcpServer()) { endpoint in
            let script = packageRoot.appendingPathComponent("Tests/KratosMCPTests/Python/concurrent_calls.py").path
            let run = try await runProcess("/usr/bin/env", ["python3", script, endpoint + "/mcp", "32"])
            let messages = try JSONDecoder().decode([String].self, from: run.stdout)
            #expect(messages == (0..<32).map { "Hello n\($0) via /kratos.test.v1.Greeter/SayHello" })
        }
    }

    @Test func twoToolsWithOneNameAreRefused() throws {
        let server = loopbackServer()
        let tool = MCPTool(Kratos_Test_V1_GreeterOperation.sayHello, MCPGreeter().sayHello(_:context:))
        #expect(throws: KratosError.self) { try server.serveMCP(tools: [tool, tool]) }
    }
}
