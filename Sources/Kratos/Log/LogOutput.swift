import Foundation

/// Where a log handler writes, one line at a time.
public struct LogOutput: Sendable {
    /// Takes a line's bytes without its newline (valid only during the call); `urgent` lines
    /// (errors and worse) must reach the output before the call returns, with every line before them.
    let writeLine: @Sendable (_ line: UnsafeRawBufferPointer, _ urgent: Bool) -> Void
    /// Writes whatever is held back.
    let flush: @Sendable () -> Void

    /// Lines go to `write`, e.g. to capture them.
    public init(_ write: @escaping @Sendable (String) -> Void) {
        writeLine = { line, _ in write(String(decoding: line, as: UTF8.self)) }
        flush = {}
    }

    init(write: @escaping @Sendable (UnsafeRawBufferPointer, Bool) -> Void, flush: @escaping @Sendable () -> Void) {
        writeLine = write
        self.flush = flush
    }

    /// Standard error, batched: lines written within ``LineBatcher/defaultDelay`` of each other
    /// leave in one `write(2)`, errors at once (see ``batched(_:delay:)``).
    public static let standardError = batched(STDERR_FILENO)
    /// Standard output, batched like ``standardError``.
    public static let standardOutput = batched(STDOUT_FILENO)

    /// Each line, with its newline, in a `write(2)` of its own as the record is logged: nothing
    /// is held back, at about a microsecond of system time per line.
    public static func unbuffered(_ descriptor: Int32) -> LogOutput {
        LogOutput(write: { line, _ in
            var text = Array(line)
            text.append(UInt8(ascii: "\n"))
            text.withUnsafeBytes { LineBatcher.writeAll(descriptor, $0) }
        }, flush: {})
    }

    /// Lines collected and written together: a thread of the output's own wakes `delay` after
    /// the first line of a batch and writes everything logged until then in one `write(2)` (the
    /// line that brings 64 KiB writes sooner), so a busy service pays one system call per batch
    /// instead of one per line. The output lives as long as the process. Lines at
    /// `error` and `critical` are written at once, after those held back, and everything held
    /// is written when the process exits normally; what a crash or `SIGKILL` can lose is the last
    /// `delay` of lines below `error`. Lines from several threads never interleave.
    public static func batched(_ descriptor: Int32, delay: Duration = LineBatcher.defaultDelay) -> LogOutput {
        let batcher = LineBatcher(descriptor: descriptor, delay: delay)
        return LogOutput(write: batcher.append, flush: batcher.flush)
    }

    /// Writes the lines this output holds back, e.g. before handing the descriptor to
    /// something else; the process's exit does it for the standard streams.
    public func flushNow() {
        flush()
    }
}
