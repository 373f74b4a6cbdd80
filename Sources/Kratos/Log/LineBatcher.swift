import Foundation
import Synchronization

/// Lines for one file descriptor, held for a short delay and written together by a thread of
/// their own (see ``LogOutput/batched(_:delay:)``).
public final class LineBatcher: @unchecked Sendable {  // held state is guarded by `condition`
    /// How long the first line of a batch waits for others: 10 ms.
    public static let defaultDelay = Duration.milliseconds(10)
    /// Past this many bytes held, the line that crosses it writes the batch itself.
    static let limit = 64 * 1024

    private let descriptor: Int32
    private let delay: TimeInterval
    private let condition = NSCondition()
    private var held: [UInt8] = []
    /// Whether the writer thread waits for a first line (and must be woken for one).
    private var writerWaits = false
    /// Taken around each `write(2)`, so batches leave in the order they were cut.
    private let writing = NSLock()
    /// The batch being written, swapped with `held` (guarded by `writing`).
    private var spare: [UInt8] = []

    init(descriptor: Int32, delay: Duration) {
        self.descriptor = descriptor
        let (seconds, attoseconds) = delay.components
        self.delay = Double(seconds) + Double(attoseconds) / 1e18
        held.reserveCapacity(Self.limit)
        let thread = Thread { [self] in writeBatches() }
        thread.name = "kratos-log"
        thread.start()
        Self.flushedAtExit.withLock { $0.append(self) }
        _ = Self.atExit
    }

    func append(_ line: UnsafeRawBufferPointer, urgent: Bool) {
        condition.lock()
        held.append(contentsOf: line)
        held.append(UInt8(ascii: "\n"))
        let wake = writerWaits
        writerWaits = false
        let full = urgent || held.count >= Self.limit
        condition.unlock()
        if full {
            flush()
        } else if wake {
            condition.signal()
        }
    }

    /// The writer thread: waits for a first line, lets a batch gather for `delay`, writes it.
    private func writeBatches() {
        while true {
            condition.lock()
            while held.isEmpty {
                writerWaits = true
                condition.wait()
            }
            writerWaits = false
            condition.unlock()
            Thread.sleep(forTimeInterval: delay)
            flush()
        }
    }

    /// Writes everything held now.
    func flush() {
        writing.lock()
        defer { writing.unlock() }
        condition.lock()
        swap(&held, &spare)
        condition.unlock()
        spare.withUnsafeBytes { Self.writeAll(descriptor, $0) }
        spare.removeAll(keepingCapacity: true)
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

    // Every batcher, flushed when the process exits normally (a documented process-wide hook,
    // like swift-log's bootstrap). Batchers live as long as the process, with their threads.
    private static let flushedAtExit = Mutex<[LineBatcher]>([])
    private static let atExit: Void = {
        atexit {
            for batcher in LineBatcher.flushedAtExit.withLock({ $0 }) { batcher.flush() }
        }
    }()
}
