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

    public var server: Server
    public var data: DataConfig
    public var log: KratosLogging.Configuration?
    public var trace: TraceConfig?

    public init(server: Server, data: DataConfig, log: KratosLogging.Configuration? = nil, trace: TraceConfig? = nil) {
        self.server = server
        self.data = data
        self.log = log
        self.trace = trace
    }
}
