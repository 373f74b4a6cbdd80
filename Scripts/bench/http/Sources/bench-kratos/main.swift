import Kratos
import KratosHTTP
import KratosPrometheus
import Logging
import NIOPosix

// GET /helloworld/{name} → {"message":"Hello NAME"} through the Kratos HTTP transport: router,
// path binding into a protobuf message, middleware, protojson reply.
// Modes:
// - bare: Recovery only.
// - observed: also the template's tracing (no tracer bootstrapped: nothing sampled) and metrics
//   middleware (swift-prometheus bootstrapped).
// - default: exactly the template's HTTP server: logging bootstrapped as its config has it (info,
//   logfmt, to stderr), Prometheus, the 1 s handler timeout, and its middleware — recovery,
//   tracing (not sampling), metrics, a log line per request, validation (`name` 1–64 characters).
// - default-nolog: the same without the log line, to see what it costs.
// Usage: bench-kratos PORT [EVENT_LOOPS] [bare|observed|default|default-nolog]
let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8000 : 8000
let loops = arguments.count > 2 ? Int(arguments[2]) ?? 1 : 1
let mode = arguments.count > 3 ? arguments[3] : "bare"

var middleware: [any Middleware] = [Recovery()]
var logger = Logger(label: "bench")
logger.logLevel = .warning
switch mode {
case "observed":
    KratosPrometheus.bootstrap()
    middleware += [TracingMiddleware(), MetricsMiddleware()]
case "default", "default-nolog":
    let info = AppInfo(id: "bench", name: "kratos-layout", version: "v0.1.0")
    KratosLogging.bootstrap(.init(level: "info", format: .logfmt), app: info)
    let registry = KratosPrometheus.bootstrap()
    middleware = [Recovery(), TracingMiddleware(), MetricsMiddleware(factory: KratosPrometheus.factory(registry: registry)),
                  LoggingMiddleware(), ValidateMiddleware()]
    if mode == "default-nolog" { middleware.remove(at: 3) }
    logger = Logger(label: "kratos-layout")
default:
    break
}

let server = KratosHTTPServer(
    .init(host: "127.0.0.1", port: port, timeout: .seconds(1),
          eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: loops), logger: logger),
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
