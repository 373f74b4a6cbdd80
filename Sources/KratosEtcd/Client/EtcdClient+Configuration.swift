import KratosNIO
import Logging

extension EtcdClient {
    /// How to reach etcd. The defaults suit a local or in-cluster etcd.
    ///
    /// ```swift
    /// let client = try await EtcdClient(.init(endpoints: ["10.0.0.1:2379", "10.0.0.2:2379", "10.0.0.3:2379"]))
    /// ```
    public struct Configuration: Sendable {
        /// The members: `host:port`, `http://host:port` or (with ``security``) `https://host:port`.
        /// Calls go round-robin over them and fail over to the next one when a member cannot be
        /// reached or has no leader.
        public var endpoints: [String]
        /// TLS to the members (`.tls(…)` from `KratosTLS`, trusting etcd's CA); nil speaks in the clear.
        public var security: (any ClientConnectionSecurity)?
        /// With ``password``: authenticate as this user, sending the token etcd returns with each
        /// call, and again when etcd says the token is no longer valid.
        public var username: String?
        public var password: String?
        /// The deadline of each unary call (get, put, grant, …).
        public var requestTimeout: Duration
        /// How long opening a connection to one member may take.
        public var connectTimeout: Duration
        /// How many times a call that found its member unavailable is tried again (on the next
        /// member), pausing a little longer each time.
        public var retries: Int
        /// The deadline of a long-lived stream (watch, keep-alive); when it passes the stream is
        /// opened again, so the only visible effect is a reconnection.
        public var streamLifetime: Duration
        /// The longest pause between two attempts to reopen a watch or keep-alive stream.
        public var maxReconnectDelay: Duration

        public init(endpoints: [String], username: String? = nil, password: String? = nil,
                    requestTimeout: Duration = .seconds(5), connectTimeout: Duration = .seconds(2), retries: Int = 4,
                    streamLifetime: Duration = .seconds(3600), maxReconnectDelay: Duration = .seconds(1),
                    security: (any ClientConnectionSecurity)? = nil) {
            self.endpoints = endpoints
            self.security = security
            self.username = username
            self.password = password
            self.requestTimeout = requestTimeout
            self.connectTimeout = connectTimeout
            self.retries = retries
            self.streamLifetime = streamLifetime
            self.maxReconnectDelay = maxReconnectDelay
        }

        /// The gRPC client's `direct:///h1:p1,h2:p2` endpoint for ``endpoints``.
        func directEndpoint() throws -> String {
            guard !endpoints.isEmpty else { throw EtcdError.invalidEndpoint("(none given)") }
            let hostPorts = try endpoints.map { endpoint -> String in
                var text = endpoint.trimmingPrefix("http://")
                if security != nil { text = text.trimmingPrefix("https://") }
                if text.hasSuffix("/") { text = text.dropLast() }
                guard !text.contains("://"), !text.contains("/"), let colon = text.lastIndex(of: ":"),
                      Int(text[text.index(after: colon)...]) != nil, colon != text.startIndex else {
                    throw EtcdError.invalidEndpoint(endpoint)
                }
                return String(text)
            }
            return "direct:///" + hostPorts.joined(separator: ",")
        }
    }
}
