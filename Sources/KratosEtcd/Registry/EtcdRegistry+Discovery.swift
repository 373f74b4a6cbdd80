import Kratos
import Logging

extension EtcdRegistry: Discovery {
    /// The instances under `<namespace>/<name>/`; values that are not a service instance's JSON,
    /// or name another service, are skipped with a warning.
    public func instances(of name: String) async throws -> [ServiceInstance] {
        try await list(name).instances
    }

    /// The instances of `name` now, then after each change under `<namespace>/<name>/`; etcd
    /// being unreachable is retried (with backoff) and never ends the sequence; it ends when the
    /// consuming task is cancelled or the client closed.
    public func watch(_ name: String) -> AsyncStream<[ServiceInstance]> {
        let (stream, continuation) = AsyncStream<[ServiceInstance]>.makeStream()
        let task = Task { [self] in
            var last: [ServiceInstance]?
            var backoff = Backoff(maximum: client.configuration.maxReconnectDelay)
            var failing = false
            func publish(_ instances: [ServiceInstance]) {
                guard instances != last else { return }
                last = instances
                continuation.yield(instances)
            }
            while !Task.isCancelled, !client.isClosed {
                do {
                    let (instances, revision) = try await list(name)
                    publish(instances)
                    backoff.reset()
                    failing = false
                    // Read again on every change and every re-created watch: a full list each time,
                    // as go-kratos's watcher does.
                    for try await _ in client.watch(prefix(name), prefix: true, fromRevision: revision + 1) {
                        publish(try await list(name).instances)
                    }
                } catch {
                    if Task.isCancelled || client.isClosed { break }
                    // Said once per outage, not at every retry.
                    logger.log(level: failing ? .debug : .warning, "watching etcd failed; trying again",
                               metadata: ["registry.service": "\(name)", "etcd.error": "\(error)"])
                    failing = true
                    try? await backoff.wait()
                }
            }
            continuation.finish()
        }
        continuation.onTermination = { _ in task.cancel() }
        return stream
    }

    /// `<namespace>/<name>/`.
    func prefix(_ name: String) -> String {
        "\(configuration.namespace)/\(name)/"
    }

    /// The instances of `name` and the revision they were read at.
    private func list(_ name: String) async throws -> (instances: [ServiceInstance], revision: Int64) {
        let result = try await client.range(prefix(name), prefix: true)
        var instances: [ServiceInstance] = []
        for pair in result.keyValues {
            do {
                let instance = try GoJSON.decode(pair.value)
                guard instance.name == name else {
                    logger.warning("skipping a registry value for another service",
                                   metadata: ["registry.key": "\(pair.key)", "registry.service": "\(instance.name)"])
                    continue
                }
                instances.append(instance)
            } catch {
                logger.warning("skipping a malformed registry value",
                               metadata: ["registry.key": "\(pair.key)", "registry.value": "\(pair.valueString.prefix(200))", "error": "\(error)"])
            }
        }
        return (instances, result.revision)
    }
}
