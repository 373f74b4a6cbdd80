import Foundation

/// A value shared between threads behind a lock: the CLI's one box (its commands run on plain
/// threads and libgit2 callbacks, not in tasks, so a lock rather than an actor).
final class LockedBox<Value>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Value

    init(_ value: Value) { self.value = value }

    func set(_ newValue: Value) { lock.withLock { value = newValue } }
    func get() -> Value { lock.withLock { value } }
}
