/// Resolves a `discovery:///name` endpoint to a concrete one (`http://host:port` for HTTP
/// clients, `grpc://host:port` for gRPC clients). The registry module provides one; without it
/// such endpoints fail with 503 `NODE_NOT_FOUND`.
public protocol EndpointResolver: Sendable {
    func resolve(service name: String) async throws -> String
}
