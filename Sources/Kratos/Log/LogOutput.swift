import Foundation

/// Where a log handler writes, one line at a time.
public struct LogOutput: Sendable {
    /// Takes a line without its newline; `urgent` lines (errors and worse) must reach the
    /// output before the call returns, with every line before them.
    let write: @Sendable (_ line: String, _ urgent: Bool) -> Void
    /// Writes whatever is held back.
    let flush: @Sendable () -> Void

    /// Lines go to `write`, e.g. to capture them.
    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = { line, _ in write(line) }
        flush = {}
    }

    init(write: @escaping @Sendable (String, Bool) -> Void, flush: @escaping @Sendable () -> Void) {
        self.write = write
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
            var line = line
            line.append("\n")
            line.withUTF8 { LineBatcher.writeAll(descriptor, UnsafeRawBufferPointer($0)) }
        }, flush: {})
    }

    /// Lines collected and written together: the first line after a quiet spell schedules one
    /// `write(2)` `delay` later for everything logged until then (or sooner, once 64 KiB are
    /// held), so a busy service pays one system call per batch instead of one per line. Lines at
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
