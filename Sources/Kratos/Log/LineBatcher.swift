import Dispatch
import Foundation
import Synchronization

/// Lines for one file descriptor, held for a short delay and written together (see
/// ``LogOutput/batched(_:delay:)``).
public final class LineBatcher: Sendable {
    /// How long the first line of a batch waits for others: 1 ms.
    public static let defaultDelay = Duration.milliseconds(1)
    /// Past this many bytes held, the line that crosses it writes the batch itself.
    static let limit = 64 * 1024

    private let descriptor: Int32
    private let delay: DispatchTimeInterval
    private let pending = Mutex(Pending())
    /// Taken around each `write(2)`, so batches leave in the order they were cut.
    private let writing = Mutex(())

    private struct Pending {
        var bytes: [UInt8] = []
        /// Whether a timed flush is on its way.
        var scheduled = false
    }

    init(descriptor: Int32, delay: Duration) {
        self.descriptor = descriptor
        let (seconds, attoseconds) = delay.components
        self.delay = .nanoseconds(Int(clamping: seconds * 1_000_000_000 + attoseconds / 1_000_000_000))
        Self.flushedAtExit.withLock { batchers in
            batchers.removeAll { $0.batcher == nil }
            batchers.append(Weak(self))
        }
        _ = Self.atExit
    }

    func append(_ line: String, urgent: Bool) {
        let (schedule, full) = pending.withLock { pending -> (Bool, Bool) in
            if pending.bytes.capacity == 0 { pending.bytes.reserveCapacity(4096) }
            pending.bytes.append(contentsOf: line.utf8)
            pending.bytes.append(UInt8(ascii: "\n"))
            let schedule = !urgent && !pending.scheduled
            if schedule { pending.scheduled = true }
            return (schedule, urgent || pending.bytes.count >= Self.limit)
        }
        if full {
            flush()
        } else if schedule {
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
                pending.withLock { $0.scheduled = false }
                flush()
            }
        }
    }

    /// Writes everything held now.
    func flush() {
        writing.withLock { _ in
            let bytes = pending.withLock { pending -> [UInt8] in
                let bytes = pending.bytes
                pending.bytes = []
                return bytes
            }
            bytes.withUnsafeBytes { Self.writeAll(descriptor, $0) }
        }
    }

    /// Writes all of `bytes`, retrying on `EINTR`; on a closed or full stream the rest is
    /// dropped and the service goes on.
    static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer) {
        var rest = bytes
        while !rest.isEmpty {
            let written = Foundation.write(descriptor, rest.baseAddress, rest.count)
            if written > 0 {
                rest = UnsafeRawBufferPointer(rebasing: rest[written...])
            } else if written < 0, errno == EINTR {
                continue
            } else {
                return
            }
        }
    }

    // The batchers alive, flushed when the process exits normally (a documented process-wide
    // hook, like swift-log's bootstrap).
    private struct Weak: @unchecked Sendable {
        weak var batcher: LineBatcher?
        init(_ batcher: LineBatcher) { self.batcher = batcher }
    }

    private static let flushedAtExit = Mutex<[Weak]>([])
    private static let atExit: Void = {
        atexit {
            let batchers = LineBatcher.flushedAtExit.withLock { $0.compactMap(\.batcher) }
            for batcher in batchers { batcher.flush() }
        }
    }()
}
