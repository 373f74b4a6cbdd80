import Kratos
import KratosGRPC
import SwiftProtobuf

extension KratosGRPCServer {
    /// Drives the server in-process: each call goes straight to the method's middleware and
    /// handler (the same ones the listener uses), with no socket and no port.
    ///
    /// ```swift
    /// try await server.test { client in
    ///     let reply = try await client.unary(Helloworld_V1_GreeterOperation.sayHello, .with { $0.name = "kratos" },
    ///                                        as: Helloworld_V1_HelloReply.self)
    /// }
    /// ```
    public func test<Result>(_ body: (GRPCTestClient) async throws -> Result) async rethrows -> Result {
        try await body(GRPCTestClient(server: self))
    }
}

/// Calls a ``KratosGRPCServer``'s methods in-process; see ``KratosGRPCServer/test(_:)``. Errors
/// are thrown as the ``KratosError`` a remote client would see.
public struct GRPCTestClient: Sendable {
    let server: KratosGRPCServer

    /// Calls a unary method.
    /// - Parameter metadata: request metadata, e.g. `["x-md-global-tenant": "acme"]`.
    public func unary<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _ request: Input, metadata: [String: String] = [:], as _: Output.Type = Output.self
    ) async throws -> Output {
        let replies = try await server.callInProcess(operation, [request], metadata: Self.metadata(metadata), as: Output.self)
        return replies.first ?? Output()
    }

    /// Calls a streaming method of any kind with `requests` and returns every reply written.
    public func streaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _ requests: [Input], metadata: [String: String] = [:], as _: Output.Type = Output.self
    ) async throws -> [Output] {
        try await server.callInProcess(operation, requests, metadata: Self.metadata(metadata), as: Output.self)
    }

    static func metadata(_ pairs: [String: String]) -> [(name: String, value: String)] {
        pairs.map { (name: $0.key.lowercased(), value: $0.value) }
    }
}
