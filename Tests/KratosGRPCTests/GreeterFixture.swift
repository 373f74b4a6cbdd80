import Foundation
import Kratos
import KratosGRPC
import KratosHTTP
import KratosTestSupport
import Logging
import SwiftProtobuf
import Synchronization
import Testing

/// The greeter of greeter.proto, once for both transports.
struct TestGreeter: Kratos_Test_V1_GreeterService {
    func sayHello(_ request: Kratos_Test_V1_HelloRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        switch request.name {
        case "missing":
            throw KratosError.notFound("USER_NOT_FOUND", "user missing not found").with(metadata: ["user": request.name])
        case "boom":
            throw PlainFailure(secret: "database password is hunter2")
        case "slow":
            try await Task.sleep(for: .seconds(5))
        case "whoami":
            return .with { $0.message = context.app?.name ?? "-" }
        case "metadata":
            return .with { $0.message = context.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: ";") }
        default:
            break
        }
        return .with { $0.message = "Hello \(request.name)" }
    }

    func spell(_ request: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {
        for character in request.name {
            try await writer.write(.with { $0.message = String(character) })
        }
    }

    func gather(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        var names: [String] = []
        for try await request in requests { names.append(request.name) }
        return .with { $0.message = "Hello " + names.joined(separator: ", ") }
    }

    func chat(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {
        for try await request in requests {
            if request.name == "missing" { throw KratosError.notFound("USER_NOT_FOUND", "no such user") }
            if request.name == "bye" {
                // Ends the call (OK) while the client may still be sending.
                try await writer.write(.with { $0.message = "Bye" })
                return
            }
            try await writer.write(.with { $0.message = "Hello \(request.name)" })
        }
    }
}

/// A value several tasks update.
final class Shared<Value: Sendable>: Sendable {
    private let value: Mutex<Value>

    init(_ value: Value) {
        self.value = Mutex(value)
    }

    func withLock<T>(_ body: (inout Value) -> T) -> T {
        value.withLock { body(&$0) }
    }
}

struct PlainFailure: Error {
    let secret: String
}

/// Records the transport and operation of every call it sees.
final class Recorder: Middleware, Sendable {
    let calls = Mutex<[String]>([])

    func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        calls.withLock { $0.append("\(context.kind.rawValue) \(context.operation)") }
        return try await next(request, context)
    }
}

func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .critical
    return logger
}

/// A gRPC server with the greeter on a loopback port, running while `body` does.
func withGreeterServer<T: Sendable>(
    timeout: Duration = .seconds(1), middleware: [any Middleware] = [Recovery()],
    reflection: Google_Protobuf_FileDescriptorSet? = nil,
    _ body: (KratosGRPCServer, String) async throws -> T
) async throws -> T {
    var configuration = KratosGRPCServer.Configuration(host: "127.0.0.1", port: 0, timeout: timeout, reflection: reflection)
    configuration.logger = quietLogger("test.grpc")
    let server = KratosGRPCServer(configuration, middleware: middleware)
    try TestGreeter().register(on: server)
    return try await withServer(server) { endpoint in try await body(server, endpoint) }
}

/// A typed client of the greeter at `endpoint`, connected while `body` runs.
func withGreeterClient<T: Sendable>(_ endpoint: String, timeout: Duration = .seconds(2),
                                    _ body: (Kratos_Test_V1_GreeterGRPCClient) async throws -> T) async throws -> T {
    try await KratosGRPCClient.with(.init(endpoint: endpoint, timeout: timeout)) { client in
        try await body(Kratos_Test_V1_GreeterGRPCClient(client))
    }
}
