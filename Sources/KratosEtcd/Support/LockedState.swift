import Synchronization

/// A value shared between tasks behind a lock: what callbacks of a call and the loop driving
/// it both read and write.
final class LockedState<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) {
        mutex = Mutex(value)
    }

    func withLock<Result>(_ body: (inout Value) throws -> Result) rethrows -> Result {
        try mutex.withLock { try body(&$0) }
    }

    var value: Value { mutex.withLock { $0 } }
}

/// The tasks a client started that run until cancelled (watches, keep-alives), so closing the
/// client ends them.
final class TaskSet: Sendable {
    private struct State {
        var tasks: [Int: Task<Void, Never>] = [:]
        var nextID = 0
        var closed = false
    }

    private let state = LockedState(State())

    /// Keeps `task` until ``remove(_:)``; cancels it at once when the set was cancelled.
    /// - Returns: the id to remove it by.
    @discardableResult
    func insert(_ task: Task<Void, Never>) -> Int {
        let (id, closed) = state.withLock { state -> (Int, Bool) in
            state.nextID += 1
            if !state.closed { state.tasks[state.nextID] = task }
            return (state.nextID, state.closed)
        }
        if closed { task.cancel() }
        return id
    }

    func remove(_ id: Int) {
        _ = state.withLock { $0.tasks.removeValue(forKey: id) }
    }

    /// Cancels every task, and any inserted later.
    func cancelAll() {
        let tasks = state.withLock { state -> [Task<Void, Never>] in
            state.closed = true
            defer { state.tasks = [:] }
            return Array(state.tasks.values)
        }
        tasks.forEach { $0.cancel() }
    }
}
