import GRPCCore
import Kratos
import Logging
import SwiftProtobuf

extension KratosGRPCServer {
    public struct Configuration: Sendable {
        /// Host to bind, e.g. `0.0.0.0` or `127.0.0.1`.
        public var host: String
        /// Port to bind; 0 picks a free one (see ``KratosGRPCServer/bind()``).
        public var port: Int
        /// The deadline for each handler (a shorter `grpc-timeout` from the client wins); past it
        /// the call ends with DEADLINE_EXCEEDED and the handler is cancelled. `.zero`: none.
        public var timeout: Duration
        /// The largest request message accepted.
        public var maxRequestSize: Int
        /// Serve `grpc.health.v1.Health`: SERVING once started, NOT_SERVING when stopping.
        public var health: Bool
        /// Serve gRPC reflection (v1 and v1alpha) from these descriptors, listing the server's
        /// services; nil serves none. See ``ReflectionService``.
        public var reflection: Google_Protobuf_FileDescriptorSet?
        public var logger: Logger

        public init(
            host: String = "0.0.0.0",
            port: Int = 0,
            timeout: Duration = .seconds(1),
            maxRequestSize: Int = 4 << 20,
            health: Bool = true,
            reflection: Google_Protobuf_FileDescriptorSet? = nil,
            logger: Logger = Logger(label: "kratos.grpc")
        ) {
            self.host = host
            self.port = port
            self.timeout = timeout
            self.maxRequestSize = maxRequestSize
            self.health = health
            self.reflection = reflection
            self.logger = logger
        }

        /// Parses `host:port` (`:9000` binds every interface).
        public init(address: String, timeout: Duration = .seconds(1)) {
            let address = ListenAddress(parsing: address)
            self.init(host: address.host, port: address.port, timeout: timeout)
        }
    }
}
