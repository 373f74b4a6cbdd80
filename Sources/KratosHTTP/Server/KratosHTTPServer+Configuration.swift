import Kratos
import Logging
import NIOCore

extension KratosHTTPServer {
    public struct Configuration: Sendable {
        /// Host to bind, e.g. `0.0.0.0` or `127.0.0.1`.
        public var host: String
        /// Port to bind; 0 picks a free one (see ``KratosHTTPServer/bind()``).
        public var port: Int
        /// The deadline for each handler; past it the server answers 504 and cancels the handler.
        public var timeout: Duration
        /// How long an idle keep-alive connection stays open.
        public var idleTimeout: Duration
        /// How long a client may take to send a whole request once it has started; past it the
        /// server answers 408 and closes the connection.
        public var readTimeout: Duration
        /// The largest request body accepted; larger ones are answered 413.
        public var maxBodySize: Int
        /// A prefix every route is registered under, e.g. `/api`.
        public var pathPrefix: String
        public var codecs: CodecRegistry
        /// Security on every connection, e.g. `.tls(…)` from `KratosTLS`; nil serves plain HTTP.
        public var security: (any ConnectionSecurity)?
        /// The event loops serving connections; nil uses NIO's shared group.
        public var eventLoopGroup: (any EventLoopGroup)?
        public var logger: Logger

        public init(
            host: String = "0.0.0.0",
            port: Int = 0,
            timeout: Duration = .seconds(1),
            idleTimeout: Duration = .seconds(60),
            readTimeout: Duration = .seconds(30),
            maxBodySize: Int = 4 << 20,
            pathPrefix: String = "",
            codecs: CodecRegistry = .standard,
            security: (any ConnectionSecurity)? = nil,
            eventLoopGroup: (any EventLoopGroup)? = nil,
            logger: Logger = Logger(label: "kratos.http")
        ) {
            self.host = host
            self.port = port
            self.timeout = timeout
            self.idleTimeout = idleTimeout
            self.readTimeout = readTimeout
            self.maxBodySize = maxBodySize
            self.pathPrefix = pathPrefix
            self.codecs = codecs
            self.security = security
            self.eventLoopGroup = eventLoopGroup
            self.logger = logger
        }

        /// Parses `host:port` (`:8000` binds every interface).
        public init(address: String, timeout: Duration = .seconds(1)) {
            let address = ListenAddress(parsing: address)
            self.init(host: address.host, port: address.port, timeout: timeout)
        }
    }
}
