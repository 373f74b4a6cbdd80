import Synchronization

/// Holds calls that arrive between `bind()` and `run()` (the listener accepts as soon as it is
/// bound) until the server knows the app it serves; after that, passing costs one atomic load.
final class StartGate: Sendable {
    private let isOpen = Atomic<Bool>(false)
    /// Calls waiting; nil once open.
    private let waiting = Mutex<[CheckedContinuation<Void, Never>]?>([])

    /// Lets every waiting and later call through.
    func open() {
        let released = waiting.withLock { waiting -> [CheckedContinuation<Void, Never>] in
            defer { waiting = nil }
            return waiting ?? []
        }
        isOpen.store(true, ordering: .releasing)
        for call in released { call.resume() }
    }

    /// Returns once the gate is open.
    func pass() async {
        if isOpen.load(ordering: .acquiring) { return }
        await withCheckedContinuation { (call: CheckedContinuation<Void, Never>) in
            let queued = waiting.withLock { waiting -> Bool in
                guard waiting != nil else { return false }
                waiting?.append(call)
                return true
            }
            if !queued { call.resume() }
        }
    }
}
