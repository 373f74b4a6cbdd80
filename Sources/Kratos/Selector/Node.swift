/// One place a client can send calls to: an endpoint of a service instance (go-kratos's
/// `selector.Node`).
public struct Node: Sendable, Hashable {
    /// `http`, `https`, `grpc`.
    public var scheme: String
    /// `host:port` (`[v6]:port`).
    public var address: String
    /// The service's name in the registry ("" for a node given directly).
    public var name: String
    /// The instance's id in the registry.
    public var instanceID: String
    public var version: String
    public var metadata: [String: String]
    /// The share of calls a weighted balancer sends here: metadata `weight`, default 100.
    public var weight: Double

    public init(scheme: String, address: String, name: String = "", instanceID: String = "", version: String = "",
                metadata: [String: String] = [:]) {
        self.scheme = scheme
        self.address = address
        self.name = name
        self.instanceID = instanceID
        self.version = version
        self.metadata = metadata
        let weight = metadata["weight"].flatMap(Double.init) ?? Node.defaultWeight
        self.weight = weight.isFinite && weight > 0 ? weight : Node.defaultWeight
    }

    /// A node's weight when its instance names none.
    public static let defaultWeight: Double = 100

    /// `scheme://address`.
    public var endpoint: String { "\(scheme)://\(address)" }

    /// The nodes of `instances` a client speaking one of `schemes` can call: per instance, its
    /// first endpoint with one of them (as go-kratos's `endpoint.ParseEndpoint`). Instances with
    /// none are left out.
    public static func nodes(of instances: [ServiceInstance], schemes: [String]) -> [Node] {
        instances.compactMap { instance in
            for endpoint in instance.endpoints {
                guard let split = endpoint.range(of: "://") else { continue }
                let scheme = endpoint[..<split.lowerBound].lowercased()
                let address = String(endpoint[split.upperBound...]).trimmingSuffix("/")
                guard schemes.contains(scheme), !address.isEmpty else { continue }
                return Node(scheme: scheme, address: address, name: instance.name, instanceID: instance.id,
                            version: instance.version, metadata: instance.metadata)
            }
            return nil
        }
    }
}

private extension String {
    func trimmingSuffix(_ suffix: String) -> String {
        hasSuffix(suffix) ? String(dropLast(suffix.count)) : self
    }
}

/// Narrows the nodes a call may go to (go-kratos's `selector.NodeFilter`), e.g. to one version.
public struct NodeFilter: Sendable {
    public let apply: @Sendable ([Node]) -> [Node]

    public init(_ apply: @escaping @Sendable ([Node]) -> [Node]) {
        self.apply = apply
    }

    /// Only the instances of `version`.
    public static func version(_ version: String) -> NodeFilter {
        NodeFilter { $0.filter { $0.version == version } }
    }

    /// Only the instances whose metadata has `key` set to `value`.
    public static func metadata(_ key: String, _ value: String) -> NodeFilter {
        NodeFilter { $0.filter { $0.metadata[key] == value } }
    }
}
