import Kratos
import KratosEtcd
import Logging

/// The registry `registry.etcd` in the config names, or nil without that block. The app
/// registers in it, and clients find other services through it:
///
/// ```swift
/// let users = try await KratosGRPCClient(.init(endpoint: "discovery:///users", discovery: registry))
/// ```
public func makeRegistry(_ bootstrap: Bootstrap, logger: Logger) async throws -> EtcdRegistry? {
    guard let etcd = bootstrap.registry?.etcd else { return nil }
    let defaults = EtcdRegistry.Configuration()
    let client = try await EtcdClient(.init(endpoints: etcd.endpoints, username: etcd.username, password: etcd.password), logger: logger)
    return EtcdRegistry(client: client, configuration: .init(namespace: etcd.namespace ?? defaults.namespace, ttl: etcd.ttl ?? defaults.ttl),
                        logger: logger)
}
