import Synchronization

/// The data layer: where greeted names are kept. A real service talks to the database named in
/// `data.database` here; this one keeps them in memory.
public final class GreeterRepo: GreeterRepository {
    private let greeted = Mutex<[String: Int]>([:])

    public init(_ configuration: Bootstrap.DataConfig) {}

    public func save(_ name: String) async throws -> Int {
        greeted.withLock { counts in
            counts[name, default: 0] += 1
            return counts[name]!
        }
    }
}
