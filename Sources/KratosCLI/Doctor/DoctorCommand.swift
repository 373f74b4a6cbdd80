import ArgumentParser
import CLibGit2
import Foundation

/// `kratos doctor`: what the CLI needs, found or not, with versions and paths.
struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check swift, protoc, the protoc plugins and libgit2.",
        discussion: """
            Tools are looked up in $KRATOS_HOME/bin first, then on PATH, as `kratos proto client` \
            does. Exits 1 when something required is missing, naming the command that fixes it.

            Examples:
              kratos doctor
              kratos doctor --json
            """
    )

    @Flag(help: "Print the checks as JSON on stdout.")
    var json = false

    func run() throws {
        let environment = Environment()
        let checks = Self.checks(environment)
        if json {
            let data = try JSONEncoder.sorted.encode(checks)
            environment.terminal.line(String(decoding: data, as: UTF8.self))
        } else {
            for check in checks {
                let mark = check.found ? environment.terminal.styled("ok", .green) : environment.terminal.styled("missing", .red)
                var line = "\(check.name.padding(toLength: 26, withPad: " ", startingAt: 0)) \(mark)"
                if let version = check.version { line += "  \(version)" }
                if let path = check.path { line += "  \(path)" }
                environment.terminal.line(line)
                if !check.found, let fix = check.fix { environment.terminal.line("    fix: \(fix)") }
            }
        }
        let missing = checks.filter { !$0.found }
        if !missing.isEmpty {
            throw CLIError.failure("missing: \(missing.map(\.name).joined(separator: ", "))",
                                   fix: missing.compactMap(\.fix).uniqued().joined(separator: "; "))
        }
    }

    /// One thing checked.
    struct Check: Encodable, Equatable {
        let name: String
        let found: Bool
        let version: String?
        let path: String?
        let fix: String?
    }

    static func checks(_ environment: Environment) -> [Check] {
        var checks = ([Tool.swift, .protoc] + Tool.plugins).map { tool -> Check in
            guard let url = tool.locate(in: environment) else {
                return Check(name: tool.name, found: false, version: nil, path: nil, fix: tool.fix)
            }
            return Check(name: tool.name, found: true, version: version(of: url), path: url.path, fix: nil)
        }
        var major: Int32 = 0, minor: Int32 = 0, revision: Int32 = 0
        git_libgit2_version(&major, &minor, &revision)
        checks.append(Check(name: "libgit2", found: true, version: "\(major).\(minor).\(revision)", path: nil, fix: nil))
        return checks
    }

    /// The first line a tool prints for `--version`, without its own name.
    static func version(of url: URL) -> String? {
        guard let output = try? Subprocess.run(url, ["--version"]), output.status == 0 else { return nil }
        let text = (output.stdout.isEmpty ? output.stderr : output.stdout).split(separator: "\n").first.map(String.init) ?? ""
        return text.isEmpty ? nil : text
    }
}

extension JSONEncoder {
    /// Pretty, with keys sorted and slashes plain: stable output for scripts.
    static var sorted: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

extension Sequence where Element: Hashable {
    /// The elements in order, each once.
    func uniqued() -> [Element] {
        var seen: Set<Element> = []
        return filter { seen.insert($0).inserted }
    }
}
