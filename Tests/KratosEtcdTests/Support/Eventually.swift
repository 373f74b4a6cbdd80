import Foundation
import Synchronization
import KratosTestSupport
import Testing

/// Every etcd test, one at a time: each starts its own etcd, and their timings (TTLs, elections)
/// must not compete for the machine's two cores.
@Suite(.serialized) struct EtcdTests {}

struct Timeout: Error, CustomStringConvertible {
    let description: String
}

/// Polls `condition` every 50 ms until it holds; how long that took. Throws after `limit`.
@discardableResult
func eventually(within limit: Duration, _ what: String, _ condition: () async throws -> Bool) async throws -> Duration {
    let start = ContinuousClock.now
    while true {
        if (try? await condition()) == true { return ContinuousClock.now - start }
        if ContinuousClock.now - start > limit { throw Timeout(description: "\(what): not within \(limit)") }
        try await Task.sleep(for: .milliseconds(50))
    }
}

/// Everything a sequence yields, recorded by a task of its own until ``stop()``.
final class Recorder<Element: Sendable>: Sendable {
    private final class Elements: Sendable {
        let mutex = Mutex<[Element]>([])
    }

    private let elements = Elements()
    private let task = Mutex<Task<Void, Never>?>(nil)

    init<S: AsyncSequence & Sendable>(_ sequence: S) where S.Element == Element {
        let handle = Task { [elements] in
            do {
                for try await element in sequence { elements.mutex.withLock { $0.append(element) } }
            } catch {}
        }
        task.withLock { $0 = handle }
    }

    var all: [Element] { elements.mutex.withLock { $0 } }
    var last: Element? { all.last }

    func stop() {
        task.withLock { $0?.cancel() }
    }

    deinit { stop() }
}
