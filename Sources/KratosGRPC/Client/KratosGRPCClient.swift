import Kratos
import KratosNIO
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SwiftProtobuf
import Synchronization

/// A gRPC client for Kratos services on Kratos's own engine: runs client middleware, sends the
/// metadata to propagate, applies the timeout as the call's deadline (`grpc-timeout`), and turns
/// failures into ``KratosError`` (reason and metadata from the status's `ErrorInfo`).
///
/// Endpoints: `host:port` or `grpc://host:port`, `direct:///h1:p1,h2:p2`, or `discovery:///name`
/// (the instances ``Configuration/discovery`` finds, followed as they change). Calls to several
/// nodes are balanced by ``Configuration/balancer`` (weighted round robin unless set); a node
/// that cannot be reached is skipped for a while, and a call it refused unprocessed goes to another.
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
        /// Finds the instances of a `discovery:///name` endpoint (e.g. `EtcdRegistry`); their
        /// `grpc://` endpoints are called.
        public var discovery: (any Discovery)?
        /// Picks each call's node among several: weighted round robin unless set.
        public var balancer: any Balancer
        /// Narrow the nodes calls may go to, e.g. `[.version("v2")]`.
        public var filters: [NodeFilter]
        /// The largest reply message accepted (RESOURCE_EXHAUSTED past it).
        public var maxReplySize: Int
        /// Compress request messages with this; nil sends them as they are.
        public var compression: MessageEncoding?
        /// The event loops connections run on; nil uses NIO's shared group.
        public var eventLoopGroup: (any EventLoopGroup)?
        /// How long opening a connection may take (apart from a call's deadline, which a call
        /// waiting for its connection still keeps).
        public var connectTimeout: Duration
        /// Set up on each connection before gRPC: `.tls(…)` from `KratosTLS` for `grpcs://`
        /// servers; nil speaks in the clear.
        public var security: (any ClientConnectionSecurity)?
        /// Where connection problems are logged (debug level).
        public var logger: Logger

        public init(endpoint: String, timeout: Duration = .seconds(2), discovery: (any Discovery)? = nil,
                    balancer: any Balancer = WeightedRoundRobin(), filters: [NodeFilter] = [],
                    maxReplySize: Int = 4 << 20, compression: MessageEncoding? = nil, eventLoopGroup: (any EventLoopGroup)? = nil,
                    connectTimeout: Duration = .seconds(20), security: (any ClientConnectionSecurity)? = nil,
                    logger: Logger = Logger(label: "kratos.grpc.client")) {
            self.security = security
            self.discovery = discovery
            self.balancer = balancer
            self.filters = filters
            self.connectTimeout = connectTimeout
            self.logger = logger
            self.endpoint = endpoint
            self.timeout = timeout
            self.maxReplySize = maxReplySize
            self.compression = compression
            self.eventLoopGroup = eventLoopGroup
        }
    }

    public let configuration: Configuration
    let middleware: MiddlewareChain
    let pool: ConnectionPool
    let authority: String
    /// The request header fields every call sends alike, encoded once.
    let fixedHead: (pseudo: ByteBuffer, regular: ByteBuffer)
    private let closed: (stream: AsyncStream<Void>, continuation: AsyncStream<Void>.Continuation)

    /// Creates the client; connections open on the first call and live until ``close()``
    /// (``with(_:middleware:_:)`` does that for a scope).
    public init(_ configuration: Configuration, middleware: [any Middleware] = []) async throws {
        self.configuration = configuration
        self.middleware = MiddlewareChain(middleware)
        if configuration.security == nil, configuration.endpoint.lowercased().hasPrefix("grpcs://") {
            throw KratosError.badRequest("BAD_ENDPOINT", "\(configuration.endpoint) needs TLS: set the configuration's security (.tls(…) from KratosTLS)")
        }
        // A TLS client calls the grpcs:// endpoints a registry lists, else the grpc:// ones.
        let schemes = configuration.security == nil ? ["grpc"] : ["grpcs", "grpc"]
        let target = try ClientTarget(endpoint: configuration.endpoint, schemes: schemes, discovery: configuration.discovery,
                                      balancer: configuration.balancer, filters: configuration.filters, logger: configuration.logger)
        pool = try ConnectionPool(target: target, group: configuration.eventLoopGroup ?? MultiThreadedEventLoopGroup.singleton,
                                  connectTimeout: configuration.connectTimeout, security: configuration.security, logger: configuration.logger)
        authority = target.serviceName ?? target.single?.address ?? configuration.endpoint
        fixedHead = Self.fixedHead(authority: authority, scheme: configuration.security == nil ? "http" : "https",
                                   compression: configuration.compression)
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
        try checkOperation(operation)
        return try await call(operation, request, replying: Output.self) { message, context, head in
            let message = try context.typed(message, as: Input.self)
            let ending = try await self.unaryCall(head, context) { connection in try self.framed(message, connection) }
            Self.record(ending, in: context)
            return try Self.single(ending, as: Output.self)
        }
    }

    /// Calls a server-streaming method; `onMessage` sees each reply.
    public func serverStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _ request: Input, as _: Output.Type = Output.self,
        onMessage: @escaping @Sendable (Output) async throws -> Void
    ) async throws {
        try checkOperation(operation)
        _ = try await call(operation, StreamingRequest(message: request), replying: StreamingReply.self) { _, context, head in
            try await self.onNode(context) { connection in
                let call = try await connection.stream(head, collecting: false, maxReplySize: self.configuration.maxReplySize,
                                                       timeout: self.remaining(context))
                try await self.sendAll(call, connection, finishing: true) { send in try await send(request) }
                try await self.receive(call, context, onMessage)
                return StreamingReply(message: nil)
            }
        }
    }

    /// Calls a client-streaming method: `requests` writes the messages; returns the reply.
    public func clientStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, as _: Output.Type = Output.self,
        requests: @escaping @Sendable (MessageWriter<Input>) async throws -> Void
    ) async throws -> Output {
        try checkOperation(operation)
        let reply = try await call(operation, StreamingRequest(message: nil), replying: StreamingReply.self) { _, context, head in
            try await self.onNode(context) { connection in
                let call = try await connection.stream(head, collecting: true, maxReplySize: self.configuration.maxReplySize,
                                                       timeout: self.remaining(context))
                try await self.sendAll(call, connection, finishing: true) { send in try await requests(MessageWriter(send)) }
                let ending = try await call.ending.get()
                Self.record(ending, in: context)
                return StreamingReply(message: try Self.single(ending, as: Output.self))
            }
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
        try checkOperation(operation)
        _ = try await call(operation, StreamingRequest(message: nil), replying: StreamingReply.self) { _, context, head in
            try await self.onNode(context) { connection in
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
                    // The server has ended the call: what the request side still does is moot,
                    // so it is cancelled rather than awaited (it may wait on anything).
                    group.cancelAll()
                    while (try? await group.next()) != nil {}
                }
                return StreamingReply(message: nil)
            }
        }
    }
}
