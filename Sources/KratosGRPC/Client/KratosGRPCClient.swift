import GRPCCore
import GRPCNIOTransportHTTP2Posix
import GRPCProtobuf
import Kratos
import ServiceLifecycle
import SwiftProtobuf

/// A gRPC client for Kratos services on grpc-swift-2: runs client middleware, sends the metadata
/// to propagate, applies the timeout as the call's deadline, and turns failures into
/// ``KratosError`` (reason and metadata from the status's `ErrorInfo`).
///
/// Endpoints: `host:port` or `grpc://host:port`, `direct:///h1:p1,h2:p2` (round-robin over the
/// list), `discovery:///name` (through ``Configuration/resolver``).
///
/// ```swift
/// try await KratosGRPCClient.with(.init(endpoint: "127.0.0.1:9000")) { client in
///     let reply = try await Helloworld_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "kratos" })
/// }
/// ```
public final class KratosGRPCClient: Service, Sendable {
    public struct Configuration: Sendable {
        /// `host:port`, `grpc://host:port`, `direct:///h1:p1,h2:p2` or `discovery:///name`.
        public var endpoint: String
        /// The deadline for each call, including middleware.
        public var timeout: Duration
        /// Resolves `discovery:///name` to `grpc://host:port` (the registry provides one).
        public var resolver: (any EndpointResolver)?

        public init(endpoint: String, timeout: Duration = .seconds(2), resolver: (any EndpointResolver)? = nil) {
            self.endpoint = endpoint
            self.timeout = timeout
            self.resolver = resolver
        }
    }

    public let configuration: Configuration
    private let middleware: MiddlewareChain
    private let client: GRPCClient<HTTP2ClientTransport.Posix>

    /// Creates the client; its connections live while ``run()`` runs (``with(_:middleware:_:)``
    /// does that for a scope).
    public init(_ configuration: Configuration, middleware: [any Middleware] = []) async throws {
        self.configuration = configuration
        self.middleware = MiddlewareChain(middleware)
        let target = try await Self.target(for: configuration)
        let roundRobin = ServiceConfig(loadBalancingConfig: [.roundRobin])
        client = GRPCClient(transport: try HTTP2ClientTransport.Posix(target: target, transportSecurity: .plaintext,
                                                                      serviceConfig: roundRobin))
    }

    /// A client whose connections run while `body` does.
    public static func with<Result: Sendable>(
        _ configuration: Configuration, middleware: [any Middleware] = [],
        _ body: (KratosGRPCClient) async throws -> Result
    ) async throws -> Result {
        let client = try await KratosGRPCClient(configuration, middleware: middleware)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await client.run() }
            defer { client.close() }
            return try await body(client)
        }
    }

    /// Maintains the connections until ``close()`` or graceful shutdown.
    public func run() async throws {
        try await withGracefulShutdownHandler {
            try await client.runConnections()
        } onGracefulShutdown: {
            self.close()
        }
    }

    /// Lets calls in flight finish, then closes the connections.
    public func close() {
        client.beginGracefulShutdown()
    }

    // MARK: Calls

    /// Calls a unary method.
    /// - Parameter operation: `/package.Service/Method`.
    public func unary<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _ request: Input, as _: Output.Type = Output.self
    ) async throws -> Output {
        let descriptor = try methodDescriptor(operation)
        return try await call(operation, request, replying: Output.self) { message, context, metadata, options in
            let message = try context.typed(message, as: Input.self)
            return try await self.client.unary(request: ClientRequest(message: message, metadata: metadata), descriptor: descriptor,
                                               serializer: ProtobufSerializer<Input>(), deserializer: ProtobufDeserializer<Output>(),
                                               options: options) { try $0.message }
        }
    }

    /// Calls a server-streaming method; `onMessage` sees each reply.
    public func serverStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _ request: Input, as _: Output.Type = Output.self,
        onMessage: @escaping @Sendable (Output) async throws -> Void
    ) async throws {
        let descriptor = try methodDescriptor(operation)
        _ = try await call(operation, StreamingRequest(message: request), replying: StreamingReply.self) { _, _, metadata, options in
            try await self.client.serverStreaming(request: ClientRequest(message: request, metadata: metadata), descriptor: descriptor,
                                                  serializer: ProtobufSerializer<Input>(), deserializer: ProtobufDeserializer<Output>(),
                                                  options: options) { response in
                for try await message in response.messages { try await onMessage(message) }
            }
            return StreamingReply(message: nil)
        }
    }

    /// Calls a client-streaming method: `requests` writes the messages; returns the reply.
    public func clientStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, as _: Output.Type = Output.self,
        requests: @escaping @Sendable (MessageWriter<Input>) async throws -> Void
    ) async throws -> Output {
        let descriptor = try methodDescriptor(operation)
        let reply = try await call(operation, StreamingRequest(message: nil), replying: StreamingReply.self) { _, _, metadata, options in
            let request = StreamingClientRequest<Input>(metadata: metadata) { writer in
                try await requests(MessageWriter { try await writer.write($0) })
            }
            let message = try await self.client.clientStreaming(request: request, descriptor: descriptor,
                                                                serializer: ProtobufSerializer<Input>(),
                                                                deserializer: ProtobufDeserializer<Output>(),
                                                                options: options) { try $0.message }
            return StreamingReply(message: message)
        }
        guard let message = reply.message as? Output else {
            throw KratosError.typeMismatch(operation: operation, role: "reply", expected: Output.self,
                                           found: reply.message.map { type(of: $0) } ?? Never.self)
        }
        return message
    }

    /// Calls a bidirectional-streaming method: `requests` writes while `onMessage` reads.
    public func bidirectionalStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, as _: Output.Type = Output.self,
        requests: @escaping @Sendable (MessageWriter<Input>) async throws -> Void,
        onMessage: @escaping @Sendable (Output) async throws -> Void
    ) async throws {
        let descriptor = try methodDescriptor(operation)
        _ = try await call(operation, StreamingRequest(message: nil), replying: StreamingReply.self) { _, _, metadata, options in
            let request = StreamingClientRequest<Input>(metadata: metadata) { writer in
                try await requests(MessageWriter { try await writer.write($0) })
            }
            try await self.client.bidirectionalStreaming(request: request, descriptor: descriptor,
                                                         serializer: ProtobufSerializer<Input>(),
                                                         deserializer: ProtobufDeserializer<Output>(),
                                                         options: options) { response in
                for try await message in response.messages { try await onMessage(message) }
            }
            return StreamingReply(message: nil)
        }
    }

    /// Runs `send` inside the client middleware with the propagated metadata and the deadline;
    /// any failure comes out as a ``KratosError``.
    private func call<Reply>(
        _ operation: String, _ request: any Sendable, replying _: Reply.Type,
        _ send: @escaping @Sendable (any Sendable, RequestContext, GRPCCore.Metadata, CallOptions) async throws -> any Sendable
    ) async throws -> Reply {
        let outgoing = KratosMetadata.propagated(client: KratosMetadata.outgoing, server: RequestContext.current?.metadata)
        let metadata = GRPCCore.Metadata(outgoing)
        let context = RequestContext(kind: .grpc, endpoint: configuration.endpoint, operation: operation,
                                     requestHeaders: GRPCHeaders(metadata), metadata: outgoing,
                                     deadline: .now + configuration.timeout)
        let options = CallOptions.defaults.with { $0.timeout = configuration.timeout }
        let chain = middleware.wrap { request, context in
            var metadata = metadata
            for (name, value) in context.outgoingHeaders.fields { metadata.replaceOrAddString(value, forKey: name) }
            do {
                return try await send(request, context, metadata, options)
            } catch {
                throw KratosError.fromGRPC(error)
            }
        }
        return try context.typed(try await chain(request, context), as: Reply.self, role: "reply")
    }

    // MARK: Targets

    /// The transport target for the configured endpoint.
    static func target(for configuration: Configuration) async throws -> any ResolvableTarget {
        var endpoint = configuration.endpoint
        if endpoint.hasPrefix("discovery:///") {
            guard let resolver = configuration.resolver else {
                throw KratosError.serviceUnavailable("NODE_NOT_FOUND", "no resolver configured for \(endpoint)")
            }
            endpoint = try await resolver.resolve(service: String(endpoint.dropFirst("discovery:///".count)))
        }
        if endpoint.hasPrefix("direct:///") {
            let pairs = try endpoint.dropFirst("direct:///".count).split(separator: ",").map { try hostPort(String($0)) }
            guard !pairs.isEmpty else { throw KratosError.badRequest("BAD_ENDPOINT", "\(endpoint) lists no address") }
            return pairs.allSatisfy { !$0.host.contains(":") } ? ResolvableTargets.IPv4(addresses: pairs.map { .init(host: $0.host, port: $0.port) })
                : ResolvableTargets.IPv6(addresses: pairs.map { .init(host: $0.host, port: $0.port) })
        }
        for scheme in ["grpc://", "http://", "dns:///"] where endpoint.hasPrefix(scheme) {
            endpoint.removeFirst(scheme.count)
        }
        let (host, port) = try hostPort(endpoint)
        if host.contains(":") { return ResolvableTargets.IPv6(addresses: [.init(host: host, port: port)]) }
        if host.split(separator: ".").count == 4, host.split(separator: ".").allSatisfy({ UInt8($0) != nil }) {
            return ResolvableTargets.IPv4(addresses: [.init(host: host, port: port)])
        }
        return ResolvableTargets.DNS(host: host, port: port)
    }

    /// `host:port` or `[v6]:port`.
    private static func hostPort(_ text: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw KratosError.badRequest("BAD_ENDPOINT", "\(text) is not host:port")
        }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return (String(host), port)
    }
}

extension CallOptions {
    func with(_ change: (inout CallOptions) -> Void) -> CallOptions {
        var copy = self
        change(&copy)
        return copy
    }
}
