/// The greeter's business logic: what `SayHello` answers.
public struct Greeter: Sendable {
    public init() {}

    /// Greets `name`; an empty name greets the world.
    public func sayHello(_ name: String) -> String {
        "Hello \(name.isEmpty ? "world" : name)"
    }
}
