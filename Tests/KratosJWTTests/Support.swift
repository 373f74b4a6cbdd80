import Foundation
import Kratos
import KratosGRPC
import KratosJWT
import KratosTestSupport
import Logging
import Synchronization
import Testing

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The keys and tokens Tests/KratosJWTTests/Python/tokens.py made (pyjwt), in a folder of their
/// own that is removed afterwards.
struct Tokens: Sendable {
    let directory: URL
    let secret: String
    let tokens: [String: String]

    subscript(name: String) -> String { tokens[name] ?? "no-token-named-\(name)" }

    func file(_ name: String) -> URL { directory.appendingPathComponent(name) }

    func text(_ name: String) throws -> String { try String(contentsOf: file(name), encoding: .utf8) }

    /// The middleware of the transport tests: the shared secret (HS256) and the public RSA,
    /// EC and Ed25519 keys, none named by a kid.
    func keySet() throws -> JWTKeySet {
        [try .hmac(secret), try .rsa(pem: text("rsa.pem")), try .ecdsa(pem: text("ec.pem")), try .eddsa(pem: text("ed.pem"))]
    }
}

/// Runs `body` with fresh keys and tokens.
func withTokens<T>(_ body: (Tokens) async throws -> T) async throws -> T {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-jwt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let secret = (UUID().uuidString + UUID().uuidString).replacingOccurrences(of: "-", with: "")
    let script = packageRoot.appendingPathComponent("Tests/KratosJWTTests/Python/tokens.py").path
    let run = try await runProcess("/usr/bin/env", ["python3", "-W", "ignore", script, directory.path, secret])
    guard run.status == 0 else { throw ProcessFailure(description: "tokens.py: \(String(decoding: run.stderr, as: UTF8.self))") }
    let tokens = try JSONDecoder().decode([String: String].self, from: run.stdout)
    return try await body(Tokens(directory: directory, secret: secret, tokens: tokens))
}

/// Python stubs of greeter.proto for grpcio, in a folder removed afterwards.
func withGreeterStubs<T>(_ body: (URL) async throws -> T) async throws -> T {
    let stubs = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-py-jwt-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: stubs, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: stubs) }
    let protos = packageRoot.appendingPathComponent("Tests/KratosTestSupport/Protos").path
    let generated = try await runProcess("/usr/bin/env", [
        "python3", "-m", "grpc_tools.protoc", "-I", protos, "-I", packageRoot.appendingPathComponent("Templates/service/third_party").path,
        "--python_out=\(stubs.path)", "--grpc_python_out=\(stubs.path)",
        "\(protos)/kratos/test/v1/greeter.proto", "\(protos)/kratos/test/v1/test.proto",
    ])
    guard generated.status == 0 else { throw ProcessFailure(description: String(decoding: generated.stderr, as: UTF8.self)) }
    return try await body(stubs)
}

/// What grpcio saw of one call (Python/jwt_client.py).
struct GRPCOutcome: Decodable {
    let code: String
    let status: Int?
    let reason: String?
    let message: String?
    let reply: String?
    let details_in_trailers: Bool?
}

/// Calls the greeter at `endpoint` from Python grpcio, once per case: label → (method, the
/// `authorization` metadata or none).
func grpcio(_ stubs: URL, _ endpoint: String, _ cases: [String: (method: String, authorization: String?)]) async throws -> [String: GRPCOutcome] {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-jwt-cases-\(UUID().uuidString).json")
    defer { try? FileManager.default.removeItem(at: file) }
    var json: [String: [String: String]] = [:]
    for (label, call) in cases { json[label] = ["method": call.method, "authorization": call.authorization].compactMapValues { $0 } }
    try JSONEncoder().encode(json).write(to: file)
    let script = packageRoot.appendingPathComponent("Tests/KratosJWTTests/Python/jwt_client.py").path
    let run = try await runProcess("/usr/bin/env", ["python3", script, stubs.path, String(endpoint.dropFirst("grpc://".count)), file.path])
    guard run.status == 0 else { throw ProcessFailure(description: "jwt_client.py: \(String(decoding: run.stderr, as: UTF8.self))") }
    return try JSONDecoder().decode([String: GRPCOutcome].self, from: run.stdout)
}

/// The greeter, answering with the subject of the request's verified token.
struct ClaimsGreeter: Kratos_Test_V1_GreeterService {
    func sayHello(_ request: Kratos_Test_V1_HelloRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        .with { $0.message = "Hello \(request.name) from \(context.jwtClaims?.subject ?? "nobody")" }
    }

    func spell(_ request: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {
        for character in request.name { try await writer.write(.with { $0.message = String(character) }) }
    }

    func gather(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        var names: [String] = []
        for try await request in requests { names.append(request.name) }
        return .with { $0.message = names.joined(separator: ",") }
    }

    func chat(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {
        for try await request in requests { try await writer.write(.with { $0.message = request.name }) }
    }
}

/// A gRPC server on a loopback port.
func loopbackGRPCServer(middleware: [any Middleware], logger: Logger = quietLogger()) -> KratosGRPCServer {
    var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0, timeout: .seconds(5))
    configuration.logger = logger
    return KratosGRPCServer(configuration, middleware: middleware)
}

func quietLogger() -> Logger {
    var logger = Logger(label: "test.jwt")
    logger.logLevel = .critical
    return logger
}
