import Foundation
import Testing
@testable import KratosCLI

@Suite struct CLITests {
    @Test(arguments: [["--version"], ["-v"]])
    func version(arguments: [String]) throws {
        let sandbox = try Sandbox()
        let result = try run(Sandbox.kratosBinary, arguments, in: sandbox.work, environment: sandbox.environment)
        #expect(result.status == 0)
        #expect(result.stdout == KratosCommand.version + "\n")
    }

    @Test func helpListsTheCommands() throws {
        let sandbox = try Sandbox()
        let result = try sandbox.kratos("--help")
        #expect(result.status == 0)
        #expect(result.stdout.contains("new") && result.stdout.contains("completion"))
        let newHelp = try sandbox.kratos("new", "--help")
        for flag in ["--repo", "--branch", "--timeout", "--force", "--dry-run", "--no-git", "--json"] {
            #expect(newHelp.stdout.contains(flag), "\(flag)")
        }
    }

    @Test(arguments: ["bash", "zsh", "fish"])
    func completionScripts(shell: String) throws {
        let sandbox = try Sandbox()
        let result = try sandbox.kratos("completion", shell)
        #expect(result.status == 0)
        #expect(result.stdout.contains("kratos") && result.stdout.contains("new"))
    }

    @Test func unknownShellAndUnknownCommandAreUsageErrors() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.kratos("completion", "tcsh").status == 2)
        #expect(try sandbox.kratos("frobnicate").status == 2)
        #expect(try sandbox.kratos("new", "x", "--no-such-flag").status == 2)
    }

    /// `script` gives the command a pseudo-terminal: colour appears there, and never with NO_COLOR
    /// or when output is not a terminal.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func colourOnlyOnATerminalAndNeverWithNoColor() throws {
        let sandbox = try Sandbox()
        let script = URL(fileURLWithPath: "/usr/bin/script")
        let command = "\(Sandbox.kratosBinary.path) new a --dry-run"
        let tty = try run(script, ["-qec", command, "/dev/null"], in: sandbox.work, environment: sandbox.environment)
        #expect(tty.stdout.contains("\u{1B}["))
        var noColor = sandbox.environment
        noColor["NO_COLOR"] = "1"
        let plain = try run(script, ["-qec", command, "/dev/null"], in: sandbox.work, environment: noColor)
        #expect(plain.status == 0)
        #expect(!plain.stdout.contains("\u{1B}["))
        #expect(!(try sandbox.kratos("new", "a", "--dry-run").stdout.contains("\u{1B}[")))
    }
}
