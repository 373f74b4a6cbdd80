import Foundation
import Kratos
import KratosHTTP
import Logging

/// Runs `server` (bound as configured, loopback and port 0 in tests) for the duration of `body`,
/// which gets its endpoint, then stops it gracefully.
public func withServer<Server: TransportServer, T>(_ server: Server, _ body: (String) async throws -> T) async throws -> T {
    let endpoint = try await server.bind()
    let running = Task { try await server.run() }
    do {
        let result = try await body(endpoint)
        await server.shutdown()
        _ = await running.result
        return result
    } catch {
        await server.shutdown()
        _ = await running.result
        throw error
    }
}

/// A server bound to loopback on a free port.
public func loopbackServer(timeout: Duration = .seconds(1), maxBodySize: Int = 4 << 20, middleware: [any Middleware] = [Recovery()],
                    configure: (inout KratosHTTPServer.Configuration) -> Void = { _ in }) -> KratosHTTPServer {
    var logger = Logger(label: "test.http")
    logger.logLevel = .critical
    var configuration = KratosHTTPServer.Configuration(host: "127.0.0.1", port: 0, timeout: timeout, maxBodySize: maxBodySize, logger: logger)
    configure(&configuration)
    return KratosHTTPServer(configuration, middleware: middleware)
}
