import Foundation
import KratosHTTP
import KratosMCP
import KratosTestSupport
import Testing

/// Python's MCP SDK (PyPI `mcp`, an independent implementation) over streamable HTTP.
@Suite struct MCPPythonClientTests {
    struct Report: Decodable {
        struct Call: Decodable {
            let isError: Bool
            let text: [String]
        }

        let server: String
        let protocolVersion: String
        let toolNames: [String]
        let helloProperties: [String]
        let hello: Call
        let failed: Call

        enum CodingKeys: String, CodingKey { case server, protocolVersion = "protocol", tools, hello, failed }

        init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            server = try container.decode(String.self, forKey: .server)
            protocolVersion = try container.decode(String.self, forKey: .protocolVersion)
            hello = try container.decode(Call.self, forKey: .hello)
            failed = try container.decode(Call.self, forKey: .failed)
            struct Schema: Decodable {
                struct Property: Decodable {}
                let properties: [String: Property]?
            }
            let tools = try container.decode([String: Schema].self, forKey: .tools)
            toolNames = tools.keys.sorted()
            helloProperties = tools["Greeter_SayHello"]?.properties.map { Array($0.keys) } ?? []
        }
    }

    @Test func pythonsClientListsAndCallsTheTools() async throws {
        try await withServer(try mcpServer()) { endpoint in
            let script = packageRoot.appendingPathComponent("Tests/KratosMCPTests/Python/mcp_client.py").path
            let run = try await runProcess("/usr/bin/env", ["python3", "-W", "ignore", script, endpoint + "/mcp"])
            guard run.status == 0 else {
                Issue.record("mcp_client.py: \(String(decoding: run.stderr, as: UTF8.self))")
                return
            }
            let report = try JSONDecoder().decode(Report.self, from: run.stdout)
            #expect(report.server == "kratos")
            // Python's client asks for its latest version; the SDK answers with one it supports.
            #expect(["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"].contains(report.protocolVersion), "\(report.protocolVersion)")
            #expect(report.toolNames == ["Accounts_Register", "Greeter_SayHello"])
            #expect(report.helloProperties == ["name"])
            #expect(!report.hello.isError)
            #expect(report.hello.text == [#"{"message":"Hello python via /kratos.test.v1.Greeter/SayHello"}"#])
            #expect(report.failed.isError)
            let body = try JSONSerialization.jsonObject(with: Data((report.failed.text.first ?? "").utf8)) as? [String: Any]
            #expect(body?["code"] as? Int == 404)
            #expect(body?["reason"] as? String == "USER_NOT_FOUND")
            #expect(body?["message"] as? String == "no user named nobody")
        }
    }
}
