import API
import Kratos
import KratosGRPC
import KratosHTTP
import Logging

/// The HTTP server from `server.http`, with recovery and logging middleware.
func makeHTTPServer(_ configuration: Bootstrap.Endpoint, greeter: Greeter, logger: Logger) throws -> KratosHTTPServer {
    var http = KratosHTTPServer.Configuration(address: configuration.addr, timeout: configuration.timeout)
    http.logger = logger
    let server = KratosHTTPServer(http, middleware: [Recovery(), LoggingMiddleware()])
    try greeter.register(on: server)
    return server
}

/// The gRPC server from `server.grpc`, with the same middleware.
func makeGRPCServer(_ configuration: Bootstrap.Endpoint, greeter: Greeter, logger: Logger) throws -> KratosGRPCServer {
    var grpc = KratosGRPCServer.Configuration(address: configuration.addr, timeout: configuration.timeout)
    grpc.logger = logger
    let server = KratosGRPCServer(grpc, middleware: [Recovery(), LoggingMiddleware()])
    try greeter.register(on: server)
    return server
}
