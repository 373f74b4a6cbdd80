import Kratos
import KratosHTTP
import KratosPrometheus
import Logging
import NIOPosix

// GET /helloworld/{name} → {"message":"Hello NAME"} through the Kratos HTTP transport: router,
// path binding into a protobuf message, Recovery middleware, protojson reply. With `observed`,
// also the template's tracing (no tracer bootstrapped: nothing sampled) and metrics middleware
// (swift-prometheus bootstrapped), as a service runs with observability on.
// Usage: bench-kratos PORT [EVENT_LOOPS] [observed]
let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8000 : 8000
let loops = arguments.count > 2 ? Int(arguments[2]) ?? 1 : 1
let observed = arguments.count > 3 && arguments[3] == "observed"
var middleware: [any Middleware] = [Recovery()]
if observed {
    KratosPrometheus.bootstrap()
    middleware += [TracingMiddleware(), MetricsMiddleware()]
}

var logger = Logger(label: "bench")
logger.logLevel = .warning
let server = KratosHTTPServer(
    .init(host: "127.0.0.1", port: port, eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: loops), logger: logger),
    middleware: middleware
)
try server.route(.GET, "/helloworld/{name}", operation: "/helloworld.v1.Greeter/SayHello") { (request: Helloworld_V1_HelloRequest, _) in
    Helloworld_V1_HelloReply.with { $0.message = "Hello \(request.name)" }
}
// Framework floor for profiling: the same reply with no binding and no codec.
try server.route(.GET, "/raw/hello") { _ in
    HTTPResponse(status: .ok, headers: ["content-type": "application/json"], body: .init(string: #"{"message":"Hello kratos"}"#))
}
try server.route(.GET, "/typed/hello", operation: "/helloworld.v1.Greeter/Typed") { (request: Helloworld_V1_HelloRequest, _) in
    Helloworld_V1_HelloReply.with { $0.message = "Hello kratos" }
}
try server.route(.GET, "/var/{name}") { request in
    HTTPResponse(status: .ok, headers: ["content-type": "application/json"], body: .init(string: #"{"message":"Hello kratos"}"#))
}
try await server.run()
