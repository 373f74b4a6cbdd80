/// A failure the CLI reports to the user: what went wrong, naming the input, and how to fix it.
///
/// `usage` errors exit with 2 (the command line is wrong), `failure` errors with 1 (the command
/// was right but could not be carried out).
public struct CLIError: Error, CustomStringConvertible, Sendable {
    public enum Kind: Sendable {
        case usage
        case failure
    }

    public let kind: Kind
    public let message: String
    /// What the user can do about it, if there is something.
    public let fix: String?

    public static func usage(_ message: String, fix: String? = nil) -> CLIError {
        CLIError(kind: .usage, message: message, fix: fix)
    }

    public static func failure(_ message: String, fix: String? = nil) -> CLIError {
        CLIError(kind: .failure, message: message, fix: fix)
    }

    /// The process exit status for this error.
    public var exitCode: Int32 { kind == .usage ? 2 : 1 }

    public var description: String { message }
}
