import Foundation
import Kratos
import KratosGRPC
import KratosHTTP
import KratosTestSupport
import Synchronization
import Testing

/// Accounts, counting the requests that reach it.
final class CountingAccounts: Kratos_Test_V1_AccountsService {
    let handled = Atomic<Int>(0)

    func register(_ request: Kratos_Test_V1_RegisterRequest, context: RequestContext) async throws -> Kratos_Test_V1_AccountReply {
        handled.add(1, ordering: .relaxed)
        return .with { $0.id = "id-\(request.name)"; $0.name = request.name }
    }

    func lookup(_ request: Kratos_Test_V1_LookupRequest, context: RequestContext) async throws -> Kratos_Test_V1_AccountReply {
        handled.add(1, ordering: .relaxed)
        return .with { $0.id = "id-\(request.name)"; $0.name = request.name }
    }
}

/// The Validate middleware on loopback servers of both transports, with the code
/// protoc-gen-kratos-validate generated from kratos/test/v1/accounts.proto: an invalid request
/// is answered 400 VALIDATOR (gRPC INVALID_ARGUMENT with ErrorInfo) with its violations before
/// the handler, as curl, Python grpcio and our own gRPC client see it.
@Suite struct ValidateTransportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let middleware: [any Middleware] = [Recovery(), ValidateMiddleware()]

    /// The violations of the invalid request both transports are sent.
    static let expected = [
        Violation(field: "name", rule: "string.min_len", message: "must be at least 1 characters"),
        Violation(field: "email", rule: "string.email", message: "must be a valid email address"),
        Violation(field: "age", rule: "int32.gte_lte", message: "must be greater than or equal to 13 and less than or equal to 150"),
        Violation(field: "tags", rule: "repeated.max_items", message: "must contain no more than 3 item(s)"),
        Violation(field: "tags[1]", rule: "string.min_len", message: "must be at least 1 characters"),
    ]
    static let message = "name: must be at least 1 characters [string.min_len] (and 4 more violations)"

    static func violations(in json: String?) throws -> [Violation] {
        try JSONDecoder().decode([Violation].self, from: Data((json ?? "").utf8))
    }

    @Test func overHTTPFromCurl() async throws {
        let accounts = CountingAccounts()
        let server = loopbackServer(middleware: Self.middleware)
        try accounts.register(on: server)
        try await withServer(server) { endpoint in
            let invalid = try await curl("-i", "-X", "POST", "-H", "content-type: application/json",
                                         "--data", #"{"name":"","email":"nope","age":5,"tags":["a","","b","c"]}"#, endpoint + "/v1/accounts")
            #expect(invalid.status == 400)
            let body = try invalid.json()
            #expect(body["code"] as? Int == 400 && body["reason"] as? String == "VALIDATOR")
            #expect(body["message"] as? String == Self.message)
            let metadata = body["metadata"] as? [String: String] ?? [:]
            #expect(try Self.violations(in: metadata["violations"]) == Self.expected)

            // A path variable is bound before the middleware sees the request.
            let long = try await curl("-i", endpoint + "/v1/accounts/ninechars")
            #expect(long.status == 400)
            #expect(try long.json()["message"] as? String == "name: must be at most 8 characters [string.max_len]")
            #expect(accounts.handled.load(ordering: .relaxed) == 0)

            let valid = try await curl("-i", "-X", "POST", "-H", "content-type: application/json",
                                       "--data", #"{"name":"ann","email":"ann@example.com","age":30}"#, endpoint + "/v1/accounts")
            #expect(valid.status == 200)
            #expect(try valid.json()["id"] as? String == "id-ann")
            #expect(try await curl("-i", endpoint + "/v1/accounts/ann").status == 200)
            #expect(accounts.handled.load(ordering: .relaxed) == 2)
        }
    }

    @Test func overGRPCFromPythonGrpcioAndOurClient() async throws {
        let stubs = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-py-validate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: stubs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: stubs) }
        let protos = Self.root.appendingPathComponent("Tests/KratosTestSupport/Protos").path
        let thirdParty = Self.root.appendingPathComponent("Templates/service/third_party").path
        let generated = try await runProcess("/usr/bin/env", [
            "python3", "-m", "grpc_tools.protoc", "-I", protos, "-I", thirdParty, "--python_out=\(stubs.path)", "--grpc_python_out=\(stubs.path)",
            "\(protos)/kratos/test/v1/accounts.proto", "\(thirdParty)/buf/validate/validate.proto",
        ])
        #expect(generated.status == 0, "\(String(decoding: generated.stderr, as: UTF8.self))")

        let accounts = CountingAccounts()
        var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0, timeout: .seconds(5))
        configuration.logger = quietLogger("test.grpc.validate")
        let server = KratosGRPCServer(configuration, middleware: Self.middleware)
        try accounts.register(on: server)
        try await withServer(server) { endpoint in
            let script = Self.root.appendingPathComponent("Tests/KratosGRPCTests/Python/validate_client.py").path
            let run = try await runProcess("/usr/bin/env", ["python3", script, stubs.path, String(endpoint.dropFirst("grpc://".count))])
            #expect(run.status == 0, "\(String(decoding: run.stderr, as: UTF8.self))")
            let result = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any] ?? [:]
            let invalid = result["invalid"] as? [String: Any] ?? [:]
            #expect(invalid["code"] as? String == "INVALID_ARGUMENT")
            #expect(invalid["message"] as? String == Self.message)
            #expect(invalid["reason"] as? String == "VALIDATOR")
            let metadata = invalid["metadata"] as? [String: String] ?? [:]
            #expect(try Self.violations(in: metadata["violations"]) == Self.expected)
            #expect(result["valid"] as? String == "id-ann")
            #expect(accounts.handled.load(ordering: .relaxed) == 1)

            // Our client reads the violations back from the status.
            try await KratosGRPCClient.with(.init(endpoint: endpoint)) { client in
                let typed = Kratos_Test_V1_AccountsGRPCClient(client)
                await #expect {
                    _ = try await typed.lookup(.with { $0.name = "ninechars" })
                } throws: { error in
                    let error = error as? KratosError
                    return error?.code == 400 && error?.reason == "VALIDATOR" && error?.grpcCode == .invalidArgument
                        && error?.violations == [Violation(field: "name", rule: "string.max_len", message: "must be at most 8 characters")]
                }
            }
            #expect(accounts.handled.load(ordering: .relaxed) == 1)
        }
    }
}
