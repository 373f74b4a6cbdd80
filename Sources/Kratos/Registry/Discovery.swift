/// Finds the running instances of a service in a registry, and follows them as they change
/// (go-kratos's `registry.Discovery` and `Watcher`).
///
/// ```swift
/// for await instances in discovery.watch("helloworld") {
///     balancer.update(instances)
/// }
/// ```
public protocol Discovery: Sendable {
    /// The instances of the service `name` registered now.
    func instances(of name: String) async throws -> [ServiceInstance]

    /// The full list of the instances of `name`: first as it is when the watch starts, then again
    /// after each change. Trouble reaching the registry is retried, never ends the sequence; it
    /// ends when the consuming task is cancelled.
    func watch(_ name: String) -> AsyncStream<[ServiceInstance]>
}
