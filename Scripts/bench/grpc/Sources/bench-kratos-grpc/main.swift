import Hello
import Kratos
import KratosGRPC
import KratosPrometheus
import Logging

// helloworld.v1.Greeter through the Kratos gRPC transport: the middleware bridge with Recovery,
// the request context, the deadline, protobuf coding. SayHello (unary), StreamHello (COUNT
// replies) and Echo (the blob back). With `observed`, also the template's tracing (no tracer
// bootstrapped: nothing sampled) and metrics middleware (swift-prometheus bootstrapped), as a
// service runs with observability on. In client mode, KratosGRPCClient calls SayHello from
// CONCURRENCY tasks on one connection for SECONDS and prints the calls per second.
// Usage: bench-kratos-grpc PORT [TIMEOUT_MS] [observed]   (TIMEOUT_MS 0: no server deadline)
//        bench-kratos-grpc client HOST:PORT CONCURRENCY SECONDS
let arguments = CommandLine.arguments
if let client = clientArguments(arguments) {
    let request = Helloworld_V1_HelloRequest.with { $0.name = "kratos" }
    let rate = try await KratosGRPCClient.with(.init(endpoint: "\(client.host):\(client.port)")) { kratos in
        try await callsPerSecond(concurrency: client.concurrency, seconds: client.seconds) {
            let reply = try await kratos.unary("/helloworld.v1.Greeter/SayHello", request, as: Helloworld_V1_HelloReply.self)
            guard reply.message == "Hello kratos" else { throw UnexpectedReply(reply.message) }
        }
    }
    print("\(Int(rate.rounded())) calls/s")
} else {
    let port = arguments.count > 1 ? Int(arguments[1]) ?? 9000 : 9000
    let timeout = arguments.count > 2 ? Int(arguments[2]) ?? 1000 : 1000
    let observed = arguments.count > 3 && arguments[3] == "observed"
    var middleware: [any Middleware] = [Recovery()]
    if observed {
        KratosPrometheus.bootstrap()
        middleware += [TracingMiddleware(), MetricsMiddleware()]
    }
    var logger = Logger(label: "bench")
    logger.logLevel = .warning
    let server = KratosGRPCServer(.init(host: "127.0.0.1", port: port, timeout: .milliseconds(timeout), health: false, logger: logger), middleware: middleware)
    try server.unary("/helloworld.v1.Greeter/SayHello") { (request: Helloworld_V1_HelloRequest, _) in
        Helloworld_V1_HelloReply.with { $0.message = "Hello \(request.name)" }
    }
    try server.serverStreaming("/helloworld.v1.Greeter/StreamHello") {
        (request: Helloworld_V1_HelloRequest, writer: MessageWriter<Helloworld_V1_HelloReply>, _) in
        let reply = Helloworld_V1_HelloReply.with { $0.message = "Hello \(request.name)" }
        for _ in 0..<max(request.count, 0) { try await writer.write(reply) }
    }
    try server.unary("/helloworld.v1.Greeter/Echo") { (request: Helloworld_V1_Blob, _) in request }
    try await server.run()
}
