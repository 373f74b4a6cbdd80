import ArgumentParser
import KratosVersion

/// The `kratos` command: creates and drives Kratos for Swift services.
public struct KratosCommand: ParsableCommand {
    /// The CLI's version, printed by `kratos --version` and `kratos -v`: the runtime's, from
    /// ``KratosVersion``.
    public static let version = KratosVersion.current

    public static let configuration = CommandConfiguration(
        commandName: "kratos",
        abstract: "Kratos for Swift: create, generate and run HTTP/gRPC services.",
        discussion: """
            Exit status: 0 on success, 2 for a usage error, 1 for a failure. Errors go to stderr; colour \
            only on a terminal and never with NO_COLOR.
            """,
        version: version,
        subcommands: [New.self, Proto.self, Run.self, Upgrade.self, Doctor.self, Completion.self]
    )

    public init() {}
}

/// Runs the CLI and returns its exit status.
public enum KratosMain {
    /// Parses `arguments` (without the program name), runs the command and reports errors:
    /// 0 on success, 2 for usage errors, 1 for failures.
    public static func run(_ arguments: [String]) -> Int32 {
        let terminal = Terminal(environment: Environment().variables)
        if arguments == ["-v"] {
            terminal.line(KratosCommand.version)
            return 0
        }
        do {
            var command = try KratosCommand.parseAsRoot(arguments)
            try command.run()
            return 0
        } catch let error as CLIError {
            terminal.report(error)
            return error.exitCode
        } catch {
            let code = KratosCommand.exitCode(for: error)
            let message = KratosCommand.fullMessage(for: error)
            if code == .success {
                if !message.isEmpty { terminal.line(message) }
                return 0
            }
            if !message.isEmpty { terminal.line(message, to: .stderr) }
            // ArgumentParser reports bad usage as EX_USAGE (64); kratos uses 2.
            return code == .validationFailure ? 2 : code.rawValue
        }
    }
}
