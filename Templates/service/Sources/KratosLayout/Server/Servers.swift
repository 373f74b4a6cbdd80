import API
import Kratos
import KratosGRPC
import KratosHTTP
import KratosPrometheus
import Logging
#if EXPORT_TRACES
import KratosOTel
#endif

/// The middleware both servers run, outermost first: recovery, tracing (a span per request, child
/// of the caller's `traceparent`), metrics (`server_requests_code_total`,
/// `server_requests_seconds` into `registry`), a log line per request, and validation (a request
/// breaking its proto's `buf.validate` rules is answered 400 `VALIDATOR`, over gRPC
/// INVALID_ARGUMENT, before the handler; counted and logged like any other).
func serverMiddleware(metrics registry: PrometheusCollectorRegistry) -> [any Middleware] {
    #if EXPORT_TRACES
    let tracing = KratosOTel.tracingMiddleware()
    #else
    let tracing = TracingMiddleware()
    #endif
    return [Recovery(), tracing, MetricsMiddleware(factory: KratosPrometheus.factory(registry: registry)), LoggingMiddleware(), ValidateMiddleware()]
}

/// The HTTP server from `server.http`, with the middleware, Prometheus's `GET /metrics`, and the
/// API's OpenAPI document at `/q/openapi.yaml` (`.json`) with Swagger UI at `/q/swagger-ui`.
func makeHTTPServer(_ configuration: Bootstrap.Endpoint, greeter: Greeter, logger: Logger,
                    metrics registry: PrometheusCollectorRegistry) throws -> KratosHTTPServer {
    var http = KratosHTTPServer.Configuration(address: configuration.addr, timeout: configuration.timeout)
    http.logger = logger
    let server = KratosHTTPServer(http, middleware: serverMiddleware(metrics: registry))
    try greeter.register(on: server)
    try server.serveMetrics(registry)
    try server.serveOpenAPI(document: OpenAPIDocument.yaml)
    return server
}

/// The gRPC server from `server.grpc`, with the same middleware.
func makeGRPCServer(_ configuration: Bootstrap.Endpoint, greeter: Greeter, logger: Logger,
                    metrics registry: PrometheusCollectorRegistry) throws -> KratosGRPCServer {
    var grpc = KratosGRPCServer.Configuration(address: configuration.addr, timeout: configuration.timeout)
    grpc.logger = logger
    let server = KratosGRPCServer(grpc, middleware: serverMiddleware(metrics: registry))
    try greeter.register(on: server)
    return server
}
