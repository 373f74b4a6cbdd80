import Kratos
import KratosNIO
import Logging
import NIOCore
import SwiftProtobuf

extension KratosGRPCServer {
    public struct Configuration: Sendable {
        /// Host to bind, e.g. `0.0.0.0` or `127.0.0.1`.
        public var host: String
        /// Port to bind; 0 picks a free one (see ``KratosGRPCServer/bind()``).
        public var port: Int
        /// The deadline for each unary call (a shorter `grpc-timeout` from the client wins); past
        /// it the call ends with DEADLINE_EXCEEDED and the handler is cancelled. `.zero`: none.
        /// Streaming calls last as long as the client's `grpc-timeout` allows, as in go-kratos.
        public var timeout: Duration
        /// The largest request message accepted (RESOURCE_EXHAUSTED past it).
        public var maxRequestSize: Int
        /// The largest reply message sent (RESOURCE_EXHAUSTED past it).
        public var maxReplySize: Int
        /// Compress replies with this when the client accepts it; nil sends them as they are.
        /// Compressed requests are always accepted (gzip).
        public var replyCompression: MessageEncoding?
        /// Calls one connection may have open at once (SETTINGS_MAX_CONCURRENT_STREAMS).
        public var maxConcurrentStreams: Int
        /// Close a connection with no call for this long (GOAWAY); nil keeps it.
        public var maxConnectionIdle: Duration?
        /// Close a connection this old, gracefully; nil keeps it.
        public var maxConnectionAge: Duration?
        /// Ping a connection quiet for this long and close it if the ping is not answered
        /// within ``keepaliveTimeout``; nil sends no pings.
        public var keepaliveInterval: Duration?
        public var keepaliveTimeout: Duration
        /// How long a graceful stop waits for calls in flight before closing their connections.
        public var gracefulStopTimeout: Duration
        /// Serve `grpc.health.v1.Health`: SERVING once started, NOT_SERVING when stopping.
        public var health: Bool
        /// Serve gRPC reflection (v1 and v1alpha), listing the server's services: on by default,
        /// as in go-kratos. Generated registrations bring their protos' descriptors.
        public var serveReflection: Bool
        /// Descriptors to serve besides those generated registrations bring (e.g. from
        /// `protoc --include_imports --descriptor_set_out`). See ``ReflectionService``.
        public var reflection: Google_Protobuf_FileDescriptorSet?
        /// The event loops connections run on; nil uses NIO's shared group.
        public var eventLoopGroup: (any EventLoopGroup)?
        /// Set up on each connection before gRPC: `.tls(…)` from `KratosTLS` serves `grpcs://`.
        public var security: (any ConnectionSecurity)?
        public var logger: Logger

        public init(
            host: String = "0.0.0.0",
            port: Int = 0,
            timeout: Duration = .seconds(1),
            maxRequestSize: Int = 4 << 20,
            maxReplySize: Int = 4 << 20,
            replyCompression: MessageEncoding? = nil,
            maxConcurrentStreams: Int = 100,
            maxConnectionIdle: Duration? = nil,
            maxConnectionAge: Duration? = nil,
            keepaliveInterval: Duration? = .seconds(7200),
            keepaliveTimeout: Duration = .seconds(20),
            gracefulStopTimeout: Duration = .seconds(10),
            health: Bool = true,
            serveReflection: Bool = true,
            reflection: Google_Protobuf_FileDescriptorSet? = nil,
            eventLoopGroup: (any EventLoopGroup)? = nil,
            security: (any ConnectionSecurity)? = nil,
            logger: Logger = Logger(label: "kratos.grpc")
        ) {
            self.security = security
            self.host = host
            self.port = port
            self.timeout = timeout
            self.maxRequestSize = maxRequestSize
            self.maxReplySize = maxReplySize
            self.replyCompression = replyCompression
            self.maxConcurrentStreams = maxConcurrentStreams
            self.maxConnectionIdle = maxConnectionIdle
            self.maxConnectionAge = maxConnectionAge
            self.keepaliveInterval = keepaliveInterval
            self.keepaliveTimeout = keepaliveTimeout
            self.gracefulStopTimeout = gracefulStopTimeout
            self.health = health
            self.serveReflection = serveReflection
            self.reflection = reflection
            self.eventLoopGroup = eventLoopGroup
            self.logger = logger
        }

        /// Parses `host:port` (`:9000` binds every interface).
        public init(address: String, timeout: Duration = .seconds(1)) {
            let address = ListenAddress(parsing: address)
            self.init(host: address.host, port: address.port, timeout: timeout)
        }
    }
}
