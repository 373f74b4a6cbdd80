import Kratos
import NIOCore
import NIOHPACK
import NIOPosix
import ServiceLifecycle
import SwiftProtobuf
import Synchronization

/// A gRPC client for Kratos services on Kratos's own engine: runs client middleware, sends the
/// metadata to propagate, applies the timeout as the call's deadline (`grpc-timeout`), and turns
/// failures into ``KratosError`` (reason and metadata from the status's `ErrorInfo`).
///
/// Endpoints: `host:port` or `grpc://host:port`, `direct:///h1:p1,h2:p2` (round-robin over the
/// list, skipping one that cannot be reached), `discovery:///name` (through
/// ``Configuration/resolver``).
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
        /// The largest reply message accepted (RESOURCE_EXHAUSTED past it).
        public var maxReplySize: Int
        /// Compress request messages with this; nil sends them as they are.
        public var compression: MessageEncoding?
        /// The event loops connections run on; nil uses NIO's shared group.
        public var eventLoopGroup: (any EventLoopGroup)?
        /// How long opening a connection may take (apart from a call's deadline, which a call
        /// waiting for its connection still keeps).
        public var connectTimeout: Duration

        public init(endpoint: String, timeout: Duration = .seconds(2), resolver: (any EndpointResolver)? = nil,
                    maxReplySize: Int = 4 << 20, compression: MessageEncoding? = nil, eventLoopGroup: (any EventLoopGroup)? = nil,
                    connectTimeout: Duration = .seconds(20)) {
            self.connectTimeout = connectTimeout
            self.endpoint = endpoint
            self.timeout = timeout
            self.resolver = resolver
            self.maxReplySize = maxReplySize
            self.compression = compression
            self.eventLoopGroup = eventLoopGroup
        }
    }

    public let configuration: Configuration
    private let middleware: MiddlewareChain
    private let pool: ConnectionPool
    private let authority: String
    private let closed: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)

    /// Creates the client; connections open on the first call and live until ``close()``
    /// (``with(_:middleware:_:)`` does that for a scope).
    public init(_ configuration: Configuration, middleware: [any Middleware] = []) async throws {
        self.configuration = configuration
        self.middleware = MiddlewareChain(middleware)
        let addresses = try await Self.addresses(for: configuration)
        authority = addresses.first?.description ?? configuration.endpoint
        pool = ConnectionPool(addresses: addresses, group: configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton,
                              connectTimeout: configuration.connectTimeout)
        closed = AsyncStream<Void>.makeStream()
    }

    /// A client whose connections live while `body` runs.
    public static func with<Result: Sendable>(
        _ configuration: Configuration, middleware: [any Middleware] = [],
        _ body: (KratosGRPCClient) async throws -> Result
    ) async throws -> Result {
        let client = try await KratosGRPCClient(configuration, middleware: middleware)
        do {
            let result = try await body(client)
            await client.shutdown()
            return result
        } catch {
            await client.shutdown()
            throw error
        }
    }

    /// Runs until ``close()`` or graceful shutdown, then closes the connections once their calls end.
    public func run() async throws {
        await withGracefulShutdownHandler {
            for await _ in closed.stream {}
        } onGracefulShutdown: {
            self.close()
        }
        await pool.close()
    }

    /// Lets calls in flight finish, then closes the connections.
    public func close() {
        closed.continuation.finish()
        Task { await pool.close() }
    }

    /// Closes and waits until the connections have closed.
    func shutdown() async {
        closed.continuation.finish()
        await pool.close()
    }

    // MARK: Calls

    /// Calls a unary method.
    /// - Parameter operation: `/package.Service/Method`.
    public func unary<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _ request: Input, as _: Output.Type = Output.self
    ) async throws -> Output {
        _ = try operationParts(operation)
        return try await call(operation, request, replying: Output.self) { message, context, head in
            let message = try context.typed(message, as: Input.self)
            let connection = try await self.pool.connection()
            let ending = try await connection.call(head, message: try self.framed(message, connection), maxReplySize: self.configuration.maxReplySize,
                                                   timeout: self.remaining(context))
            Self.record(ending, in: context)
            return try Self.single(ending, as: Output.self)
        }
    }

    /// Calls a server-streaming method; `onMessage` sees each reply.
    public func serverStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _ request: Input, as _: Output.Type = Output.self,
        onMessage: @escaping @Sendable (Output) async throws -> Void
    ) async throws {
        _ = try operationParts(operation)
        _ = try await call(operation, StreamingRequest(message: request), replying: StreamingReply.self) { _, context, head in
            let connection = try await self.pool.connection()
            let call = try await connection.stream(head, collecting: false, maxReplySize: self.configuration.maxReplySize,
                                                   timeout: self.remaining(context))
            try await self.sendAll(call, connection, finishing: true) { send in try await send(request) }
            try await self.receive(call, context, onMessage)
            return StreamingReply(message: nil)
        }
    }

    /// Calls a client-streaming method: `requests` writes the messages; returns the reply.
    public func clientStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, as _: Output.Type = Output.self,
        requests: @escaping @Sendable (MessageWriter<Input>) async throws -> Void
    ) async throws -> Output {
        _ = try operationParts(operation)
        let reply = try await call(operation, StreamingRequest(message: nil), replying: StreamingReply.self) { _, context, head in
            let connection = try await self.pool.connection()
            let call = try await connection.stream(head, collecting: true, maxReplySize: self.configuration.maxReplySize,
                                                   timeout: self.remaining(context))
            try await self.sendAll(call, connection, finishing: true) { send in try await requests(MessageWriter(send)) }
            let ending = try await call.ending.get()
            Self.record(ending, in: context)
            return StreamingReply(message: try Self.single(ending, as: Output.self))
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
        _ = try operationParts(operation)
        _ = try await call(operation, StreamingRequest(message: nil), replying: StreamingReply.self) { _, context, head in
            let connection = try await self.pool.connection()
            let call = try await connection.stream(head, collecting: false, maxReplySize: self.configuration.maxReplySize,
                                                   timeout: self.remaining(context))
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    try await self.sendAll(call, connection, finishing: true) { send in try await requests(MessageWriter(send)) }
                }
                do {
                    try await self.receive(call, context, onMessage)
                } catch {
                    group.cancelAll()
                    throw error
                }
                try await group.waitForAll()
            }
            return StreamingReply(message: nil)
        }
    }

    // MARK: Plumbing

    /// Runs `send` inside the client middleware with the request headers (propagated metadata,
    /// headers middleware added, the deadline); any failure comes out as a ``KratosError``.
    private func call<Reply>(
        _ operation: String, _ request: any Sendable, replying _: Reply.Type,
        _ send: @escaping @Sendable (any Sendable, RequestContext, HPACKHeaders) async throws -> any Sendable
    ) async throws -> Reply {
        let outgoing = KratosMetadata.propagated(client: KratosMetadata.outgoing, server: RequestContext.current?.metadata)
        let fields = outgoing.map { (name: $0.key.lowercased(), value: $0.value) }
        let context = RequestContext(kind: .grpc, endpoint: configuration.endpoint, operation: operation,
                                     requestHeaders: GRPCHeaders(fields), metadata: outgoing,
                                     deadline: .now + configuration.timeout)
        let chain = middleware.wrap { request, context in
            var head = self.head(operation, context)
            for (name, value) in fields { head.add(name: name, value: value) }
            for (name, value) in context.outgoingHeaders.fields { head.replaceOrAdd(name: name.lowercased(), value: value) }
            do {
                return try await send(request, context, head)
            } catch is CancellationError {
                throw KratosError(CallStatus(code: .cancelled, message: "the call was cancelled"))
            } catch {
                throw KratosError(error)
            }
        }
        return try context.typed(try await chain(request, context), as: Reply.self, role: "reply")
    }

    private func head(_ operation: String, _ context: RequestContext) -> HPACKHeaders {
        var head = HPACKHeaders([(":method", "POST"), (":scheme", "http"), (":path", operation), (":authority", authority),
                                 ("content-type", "application/grpc"), ("te", "trailers"),
                                 ("grpc-accept-encoding", MessageEncoding.acceptHeader), ("user-agent", "kratos-swift/\(Kratos.version)")])
        if let compression = configuration.compression { head.add(name: "grpc-encoding", value: compression.rawValue) }
        if let remaining = remaining(context) { head.add(name: "grpc-timeout", value: GRPCTimeout.encode(remaining)) }
        return head
    }

    /// The time left before the call's deadline.
    private func remaining(_ context: RequestContext) -> Duration? {
        context.deadline.map { max($0 - .now, .zero) }
    }

    private func framed(_ message: some SwiftProtobuf.Message, _ connection: GRPCClientConnection) throws -> ByteBuffer {
        let bytes: [UInt8] = try message.serializedBytes()
        let allocator = connection.channel.allocator
        guard let compression = configuration.compression else { return framedMessage(bytes: bytes, allocator: allocator) }
        return try framedMessage(ByteBuffer(bytes: bytes), encoding: compression, allocator: allocator)
    }

    /// Lets `write` send request messages, then ends the request side; a failure cancels the call.
    private func sendAll<Input: SwiftProtobuf.Message>(
        _ call: StreamingCall, _ connection: GRPCClientConnection, finishing: Bool,
        _ write: (@escaping @Sendable (Input) async throws -> Void) async throws -> Void
    ) async throws {
        do {
            try await write { message in try await call.send(try self.framed(message, connection)) }
            if finishing { call.finish() }
        } catch {
            call.cancel()
            throw error
        }
    }

    /// Hands each reply to `onMessage`, then checks the status.
    private func receive<Output: SwiftProtobuf.Message>(_ call: StreamingCall, _ context: RequestContext,
                                                        _ onMessage: @Sendable (Output) async throws -> Void) async throws {
        do {
            for try await bytes in call.replies {
                try await onMessage(try Output(serializedBytes: Array(bytes.readableBytesView)))
            }
        } catch {
            call.cancel()
            throw error
        }
        let ending = try await call.ending.get()
        Self.record(ending, in: context)
        guard ending.status.code == .ok else { throw KratosError(ending.status) }
    }

    /// What the server sent besides messages, for middleware to read after the call: its
    /// headers as the context's reply headers, its trailing metadata as reply trailers.
    private static func record(_ ending: CallEnding, in context: RequestContext) {
        for (name, value, _) in ending.headers ?? [:] where !name.hasPrefix(":") && !statusFields.contains(name) {
            context.addReplyHeader(name, value)
        }
        for (name, value, _) in ending.trailers where !name.hasPrefix(":") && !statusFields.contains(name) {
            context.setReplyTrailer(name, value)
        }
    }

    private static let statusFields: Set<String> = ["grpc-status", "grpc-message", "grpc-status-details-bin", "content-type"]

    /// The one reply of a call that ended OK, else the status as an error.
    private static func single<Output: SwiftProtobuf.Message>(_ ending: CallEnding, as _: Output.Type) throws -> Output {
        guard ending.status.code == .ok else { throw KratosError(ending.status) }
        guard ending.replies.count == 1, let bytes = ending.replies.first else {
            throw KratosError(CallStatus(code: .internal, message: "the server sent \(ending.replies.count) replies to a call expecting one"))
        }
        return try Output(serializedBytes: Array(bytes.readableBytesView))
    }

    // MARK: Addresses

    /// The addresses the configured endpoint names.
    static func addresses(for configuration: Configuration) async throws -> [ConnectionPool.Address] {
        var endpoint = configuration.endpoint
        if endpoint.hasPrefix("discovery:///") {
            guard let resolver = configuration.resolver else {
                throw KratosError.serviceUnavailable("NODE_NOT_FOUND", "no resolver configured for \(endpoint)")
            }
            endpoint = try await resolver.resolve(service: String(endpoint.dropFirst("discovery:///".count)))
        }
        if endpoint.hasPrefix("direct:///") {
            let addresses = try endpoint.dropFirst("direct:///".count).split(separator: ",").map { try hostPort(String($0)) }
            guard !addresses.isEmpty else { throw KratosError.badRequest("BAD_ENDPOINT", "\(endpoint) lists no address") }
            return addresses
        }
        for scheme in ["grpc://", "http://", "dns:///"] where endpoint.hasPrefix(scheme) {
            endpoint.removeFirst(scheme.count)
        }
        return [try hostPort(endpoint)]
    }

    /// `host:port` or `[v6]:port`.
    private static func hostPort(_ text: String) throws -> ConnectionPool.Address {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            throw KratosError.badRequest("BAD_ENDPOINT", "\(text) is not host:port")
        }
        var host = text[..<colon]
        if host.hasPrefix("["), host.hasSuffix("]") { host = host.dropFirst().dropLast() }
        return ConnectionPool.Address(host: String(host), port: port)
    }
}
