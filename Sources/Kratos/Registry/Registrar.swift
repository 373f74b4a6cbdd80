/// One running instance of a service, as a registry stores it.
public struct ServiceInstance: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    public var version: String
    public var metadata: [String: String]
    /// `scheme://host:port`, e.g. `http://10.0.0.5:8000`, `grpc://10.0.0.5:9000`.
    public var endpoints: [String]

    public init(id: String, name: String, version: String, metadata: [String: String] = [:], endpoints: [String]) {
        self.id = id
        self.name = name
        self.version = version
        self.metadata = metadata
        self.endpoints = endpoints
    }
}

/// Makes instances known to a registry, and forgets them.
public protocol Registrar: Sendable {
    func register(_ instance: ServiceInstance) async throws
    func deregister(_ instance: ServiceInstance) async throws
}
