import Synchronization

/// What a middleware works out once per request type — how to log it, how to validate it — so
/// each request pays a dictionary lookup instead of dynamic casts to protocols (a conformance
/// lookup each, over a thousand instructions per request in the template's chain).
final class PerType<Value: Sendable>: Sendable {
    private let values = Mutex<[ObjectIdentifier: Value]>([:])

    /// The value for `value`'s dynamic type, made by `make` the first time that type is seen.
    func callAsFunction(_ value: any Sendable, make: (any Sendable) -> Value) -> Value {
        let type = ObjectIdentifier(Swift.type(of: value))
        if let found = values.withLock({ $0[type] }) { return found }
        let made = make(value)
        values.withLock { $0[type] = made }
        return made
    }
}
