import Hello
import Kratos
import KratosGRPC
import Logging

// helloworld.v1.Greeter/SayHello through the Kratos gRPC transport: the middleware bridge with
// Recovery, the request context, the deadline, protobuf coding.
// Usage: bench-kratos-grpc PORT [TIMEOUT_MS]   (0: no server deadline)
let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 9000 : 9000
let timeout = CommandLine.arguments.count > 2 ? Int(CommandLine.arguments[2]) ?? 1000 : 1000
var logger = Logger(label: "bench")
logger.logLevel = .warning
let server = KratosGRPCServer(.init(host: "127.0.0.1", port: port, timeout: .milliseconds(timeout), health: false, logger: logger), middleware: [Recovery()])
try server.unary("/helloworld.v1.Greeter/SayHello") { (request: Helloworld_V1_HelloRequest, _) in
    Helloworld_V1_HelloReply.with { $0.message = "Hello \(request.name)" }
}
try await server.run()
