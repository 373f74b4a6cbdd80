import Kratos
import Logging

/// Registers service instances in etcd and discovers them, wire-compatible with go-kratos's
/// `contrib/registry/etcd`: the key is `<namespace>/<name>/<id>`, the value the instance's JSON
/// (`{"id","name","version","metadata","endpoints"}`), attached to a lease kept alive, so Go and
/// Swift services find each other.
///
/// Better than go-kratos, which gives up after a few retries: when the lease is lost (etcd
/// restarted without its data, a partition longer than the TTL), the instance is registered again
/// with a new lease, with backoff, for as long as it stays registered (and the client open).
///
/// ```swift
/// let etcd = try await EtcdClient(.init(endpoints: ["127.0.0.1:2379"]))
/// let registry = EtcdRegistry(client: etcd)
/// try await registry.register(instance)
/// for await instances in registry.watch("helloworld") { … }
/// ```
public final class EtcdRegistry: Registrar, Sendable {
    public struct Configuration: Sendable {
        /// The key prefix; go-kratos's default.
        public var namespace: String
        /// The lease's time to live: how long an instance that stopped renewing stays listed.
        public var ttl: Duration
        /// The longest pause between two attempts to register again after the lease was lost
        /// (never more than a third of ``ttl``).
        public var maxRetryDelay: Duration

        public init(namespace: String = "/microservices", ttl: Duration = .seconds(15), maxRetryDelay: Duration = .seconds(5)) {
            self.namespace = namespace
            self.ttl = ttl
            self.maxRetryDelay = maxRetryDelay
        }
    }

    public let client: EtcdClient
    public let configuration: Configuration
    let logger: Logger
    private let registrations = LockedState<[String: Registration]>([:])

    /// One registered instance: the task keeping it registered, and its current lease.
    private struct Registration: Sendable {
        let task: Task<Void, Never>
        let lease: LockedState<Int64>
    }

    public init(client: EtcdClient, configuration: Configuration = .init(), logger: Logger = Logger(label: "kratos.registry.etcd")) {
        self.client = client
        self.configuration = configuration
        self.logger = logger
    }

    /// `<namespace>/<name>/<id>`.
    public func key(of instance: ServiceInstance) -> String {
        "\(configuration.namespace)/\(instance.name)/\(instance.id)"
    }

    /// Puts the instance under a new lease and keeps it there until ``deregister(_:)``.
    /// - Throws: when the first registration fails (etcd unreachable after the client's retries).
    public func register(_ instance: ServiceInstance) async throws {
        let key = key(of: instance)
        let value = GoJSON.encode(instance)
        let lease = try await put(key, value)
        let current = LockedState(lease.id)
        let task = Task { [self] in await keepRegistered(key, value, lease: lease, current: current) }
        let replaced = registrations.withLock { $0.updateValue(Registration(task: task, lease: current), forKey: key) }
        if let replaced {
            replaced.task.cancel()
            await replaced.task.value
            try? await client.revokeLease(replaced.lease.value)
        }
        logger.info("registered in etcd", metadata: ["registry.key": "\(key)", "etcd.lease": "\(lease.id)"])
    }

    /// Stops renewing, deletes the key and revokes the lease.
    public func deregister(_ instance: ServiceInstance) async throws {
        let key = key(of: instance)
        let registration = registrations.withLock { $0.removeValue(forKey: key) }
        if let registration {
            registration.task.cancel()
            await registration.task.value
        }
        try await client.delete(key)
        if let registration { try await client.revokeLease(registration.lease.value) }
        logger.info("deregistered from etcd", metadata: ["registry.key": "\(key)"])
    }

    /// A new lease with the value put under it.
    private func put(_ key: String, _ value: String) async throws -> EtcdClient.Lease {
        let lease = try await client.grantLease(ttl: configuration.ttl)
        try await client.put(key, value, lease: lease.id)
        return lease
    }

    /// Keeps the lease alive; when it is lost, registers again (new lease) until that works,
    /// then keeps that lease alive; until cancelled.
    private func keepRegistered(_ key: String, _ value: String, lease first: EtcdClient.Lease, current: LockedState<Int64>) async {
        var lease = first
        let cap = min(configuration.maxRetryDelay, configuration.ttl / 3)
        while !Task.isCancelled, !client.isClosed {
            do {
                for try await _ in client.keepAlive(lease.id, ttl: .seconds(lease.ttl)) {}
            } catch {
                logger.warning("etcd lease lost; registering again",
                               metadata: ["registry.key": "\(key)", "etcd.lease": "\(lease.id)", "etcd.error": "\(error)"])
            }
            var backoff = Backoff(maximum: cap)
            while !Task.isCancelled, !client.isClosed {
                do {
                    lease = try await put(key, value)
                    current.withLock { $0 = lease.id }
                    logger.info("registered in etcd again", metadata: ["registry.key": "\(key)", "etcd.lease": "\(lease.id)"])
                    break
                } catch {
                    if Task.isCancelled || client.isClosed { return }
                    logger.warning("registering in etcd failed; trying again",
                                   metadata: ["registry.key": "\(key)", "etcd.error": "\(error)"])
                    try? await backoff.wait()
                }
            }
        }
    }
}
