import Kratos

/// The service's configuration, decoded from `configs/` (or the directory `-conf` names).
public struct Bootstrap: Decodable, Sendable {
    public struct Server: Decodable, Sendable {
        public var http: Endpoint
        public var grpc: Endpoint
    }

    /// A listener: `host:port` and the handler deadline.
    public struct Endpoint: Decodable, Sendable {
        public var addr: String
        public var timeout: Duration
    }

    /// The data layer's configuration: `data:` in the config file.
    public struct DataConfig: Decodable, Sendable {
        public struct Database: Decodable, Sendable {
            public var driver: String
            public var source: String
        }

        public var database: Database
    }

    /// Where traces go: `trace.endpoint`, an OTLP collector's base URL (`OTEL_*` variables win).
    public struct TraceConfig: Decodable, Sendable {
        public var endpoint: String?
    }

    /// Where the app registers and finds other services: `registry:` in the config file; none
    /// means the app registers nowhere.
    public struct RegistryConfig: Decodable, Sendable {
        /// `registry.etcd`: the members to reach, the key prefix (default `/microservices`), the
        /// lease's time to live (default 15 s), and credentials when etcd has auth on.
        public struct Etcd: Decodable, Sendable {
            public var endpoints: [String]
            public var namespace: String?
            public var ttl: Duration?
            public var username: String?
            public var password: String?
        }

        public var etcd: Etcd?
    }

    public var server: Server
    public var data: DataConfig
    public var log: KratosLogging.Configuration?
    public var trace: TraceConfig?
    public var registry: RegistryConfig?

    public init(server: Server, data: DataConfig, log: KratosLogging.Configuration? = nil, trace: TraceConfig? = nil,
                registry: RegistryConfig? = nil) {
        self.server = server
        self.data = data
        self.log = log
        self.trace = trace
        self.registry = registry
    }
}
