#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemWrite = Glibc.write
#elseif canImport(Darwin)
private let systemWrite = Darwin.write
#endif

/// Where the CLI writes: human output to stdout, diagnostics to stderr, colour only on a TTY
/// and never when `NO_COLOR` is set.
public struct Terminal: Sendable {
    public enum Stream: Sendable {
        case stdout
        case stderr
    }

    public enum Style: String, Sendable {
        case bold = "1"
        case dim = "2"
        case red = "31"
        case green = "32"
        case yellow = "33"
        case cyan = "36"
    }

    public let stdoutIsTTY: Bool
    public let stderrIsTTY: Bool
    public let stdinIsTTY: Bool
    let colorAllowed: Bool

    public init(environment: [String: String]) {
        stdoutIsTTY = isatty(STDOUT_FILENO) == 1
        stderrIsTTY = isatty(STDERR_FILENO) == 1
        stdinIsTTY = isatty(STDIN_FILENO) == 1
        colorAllowed = (environment["NO_COLOR"] ?? "").isEmpty && environment["TERM"] != "dumb"
    }

    /// Writes `text` and a newline.
    public func line(_ text: String = "", to stream: Stream = .stdout) {
        write(text + "\n", to: stream)
    }

    /// Writes `text` as is.
    public func write(_ text: String, to stream: Stream = .stdout) {
        let fd = stream == .stdout ? STDOUT_FILENO : STDERR_FILENO
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return }
            bytes = bytes.dropFirst(written)
        }
    }

    /// `text` wrapped in ANSI styles when `stream` shows colour.
    public func styled(_ text: String, _ styles: Style..., on stream: Stream = .stdout) -> String {
        guard colorAllowed, stream == .stdout ? stdoutIsTTY : stderrIsTTY, !styles.isEmpty else { return text }
        return "\u{1B}[" + styles.map(\.rawValue).joined(separator: ";") + "m" + text + "\u{1B}[0m"
    }

    /// Reports `error` on stderr: the message, then the fix when there is one.
    public func report(_ error: CLIError) {
        line(styled("error:", .bold, .red, on: .stderr) + " " + error.message, to: .stderr)
        if let fix = error.fix {
            line(styled("  fix:", .bold, on: .stderr) + " " + fix, to: .stderr)
        }
    }

    /// A warning on stderr.
    public func warn(_ message: String) {
        line(styled("warning:", .bold, .yellow, on: .stderr) + " " + message, to: .stderr)
    }
}
