import Foundation
import Kratos
import KratosHTTP
import KratosMCP
import KratosTestSupport
import Synchronization

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A greeter whose reply shows what reached it; `nobody` is a Kratos error.
struct MCPGreeter: Kratos_Test_V1_GreeterService {
    func sayHello(_ request: Kratos_Test_V1_HelloRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        if request.name == "nobody" {
            throw Kratos_Test_V1_ErrorReason.errorUserNotFound("no user named nobody", metadata: ["name": request.name])
        }
        let tenant = context.metadata["x-md-global-tenant"].map { " of \($0)" } ?? ""
        return .with { $0.message = "Hello \(request.name)\(tenant) via \(context.operation)" }
    }

    func spell(_ request: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {}

    func gather(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        Kratos_Test_V1_HelloReply()
    }

    func chat(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, writer: MessageWriter<Kratos_Test_V1_HelloReply>,
              context: RequestContext) async throws {}
}

/// Accounts whose requests carry validation rules.
struct MCPAccounts: Kratos_Test_V1_AccountsService {
    func register(_ request: Kratos_Test_V1_RegisterRequest, context: RequestContext) async throws -> Kratos_Test_V1_AccountReply {
        .with { $0.id = "1"; $0.name = request.name }
    }

    func lookup(_ request: Kratos_Test_V1_LookupRequest, context: RequestContext) async throws -> Kratos_Test_V1_AccountReply {
        .with { $0.name = request.name }
    }
}

/// Counts the operations it sees.
final class CountingMiddleware: Middleware {
    private let seen = Mutex<[String]>([])

    var operations: [String] { seen.withLock { $0 } }

    func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        seen.withLock { $0.append(context.operation) }
        return try await next(request, context)
    }
}

/// A loopback server with the greeter's SayHello and the accounts' Register as MCP tools at `/mcp`.
func mcpServer(middleware: [any Middleware] = [Recovery()], timeout: Duration = .seconds(5)) throws -> KratosHTTPServer {
    let server = loopbackServer(timeout: timeout, middleware: middleware)
    let greeter = MCPGreeter()
    try greeter.register(on: server)
    try server.serveMCP(path: "/mcp", tools: [
        MCPTool(Kratos_Test_V1_GreeterOperation.sayHello, description: "Greets someone by name.", greeter.sayHello(_:context:)),
        MCPTool(Kratos_Test_V1_AccountsOperation.register, MCPAccounts().register(_:context:)),
    ])
    return server
}
