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
        /// The largest request body accepted by routes taking `google.api.HttpBody` (raw uploads,
        /// ``BodyBinding/httpBody``), when larger than `maxBodySize`.
        public var maxHTTPBodySize = 64 << 20
        /// A prefix every route is registered under, e.g. `/api`.
        public var pathPrefix: String
        public var codecs: CodecRegistry
        /// Security on every connection, e.g. `.tls(…)` from `KratosTLS`; nil serves plain HTTP.
        public var security: (any ConnectionSecurity)?
        /// The event loops serving connections; nil uses NIO's shared group.
        public var eventLoopGroup: (any EventLoopGroup)?
        public var logger: Logger
        /// Limits of WebSocket streams (client and bidirectional streaming routes).
        public var webSocket = WebSocketOptions()

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

    /// Limits of the WebSocket streams the server accepts (``KratosHTTPServer/clientStreaming(_:_:operation:_:)``,
    /// ``KratosHTTPServer/bidiStreaming(_:_:operation:_:)``).
    public struct WebSocketOptions: Sendable {
        /// The largest message a client may send, after its fragments are reassembled (also the
        /// largest frame); a larger one closes the connection with 1009.
        public var maxMessageSize: Int
        /// How many received messages wait for the handler before the server stops reading from
        /// the socket (and at most `maxMessageSize` bytes of them): a client sending faster than
        /// the handler reads is held back by TCP instead of growing the server's memory.
        public var maxBufferedMessages: Int
        /// How long the server waits for the client's close frame after sending its own before
        /// it closes the connection.
        public var closeTimeout: Duration

        public init(maxMessageSize: Int = 4 << 20, maxBufferedMessages: Int = 16, closeTimeout: Duration = .seconds(5)) {
            self.maxMessageSize = maxMessageSize
            self.maxBufferedMessages = maxBufferedMessages
            self.closeTimeout = closeTimeout
        }

        /// `maxMessageSize` within what the frame decoder takes (125 bytes … 4 GiB - 1).
        var effectiveMaxMessageSize: Int { min(max(maxMessageSize, 125), Int(UInt32.max)) }
    }
}
