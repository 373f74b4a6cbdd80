import Foundation
import Testing

/// A temporary directory for one test, with `home/` as `$HOME` and `kratos-home/` as
/// `$KRATOS_HOME`, removed when the test ends.
final class Sandbox {
    let root: URL

    init() throws {
        root = FileManager.default.temporaryDirectory
            .appendingPathComponent("kratos-test-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
    }

    /// The current directory for commands.
    var work: URL { root.appendingPathComponent("work", isDirectory: true) }
    var home: URL { root.appendingPathComponent("home", isDirectory: true) }
    var kratosHome: URL { root.appendingPathComponent("kratos-home", isDirectory: true) }

    var environment: [String: String] {
        var env = ProcessInfo.processInfo.environment
        env["HOME"] = home.path
        env["KRATOS_HOME"] = kratosHome.path
        env.removeValue(forKey: "NO_COLOR")
        return env
    }

    /// Runs the built `kratos` with `arguments` in ``work``; stdin is empty (not a TTY).
    @discardableResult
    func kratos(_ arguments: String..., environment extra: [String: String] = [:]) throws -> CommandResult {
        try run(Self.kratosBinary, arguments, in: work, environment: environment.merging(extra) { $1 })
    }

    /// Runs `git` with a fixed identity.
    @discardableResult
    func git(_ arguments: String..., in directory: URL) throws -> CommandResult {
        let result = try run(URL(fileURLWithPath: "/usr/bin/git"),
                             ["-c", "user.name=Kratos Test", "-c", "user.email=test@example.com",
                              "-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"] + arguments,
                             in: directory, environment: environment)
        guard result.status == 0 else {
            throw TestFailure("git \(arguments.joined(separator: " ")) failed: \(result.stderr)")
        }
        return result
    }

    /// Entries of ``work`` (hidden ones included): what a command left behind.
    func workContents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: work.path).sorted()
    }

    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: work.appendingPathComponent(path).path)
    }

    func read(_ path: String) throws -> String {
        try String(contentsOf: work.appendingPathComponent(path), encoding: .utf8)
    }

    func write(_ text: String, to url: URL) throws {
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try text.write(to: url, atomically: true, encoding: .utf8)
    }

    /// The `kratos` built alongside the tests, or `$KRATOS_BIN`.
    /// The directory the tests' own build products are in (the plugins among them), whatever
    /// `KRATOS_BIN` says.
    static let buildProducts: URL = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while dir.path != "/" {
            if FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("protoc-gen-kratos-http").path) { return dir }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }()

    static let kratosBinary: URL = {
        if let path = ProcessInfo.processInfo.environment["KRATOS_BIN"] {
            return URL(fileURLWithPath: path)
        }
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        while dir.path != "/" {
            let candidate = dir.appendingPathComponent("kratos")
            if FileManager.default.isExecutableFile(atPath: candidate.path),
               !((try? candidate.resourceValues(forKeys: [.isDirectoryKey]))?.isDirectory ?? false) {
                return candidate
            }
            dir = dir.deletingLastPathComponent()
        }
        return URL(fileURLWithPath: "kratos")
    }()
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Exit status and output of a finished process.
struct CommandResult {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// Runs `executable` to completion with stdin from /dev/null, capturing output through files
/// so neither stream can fill a pipe and stall it.
func run(_ executable: URL, _ arguments: [String], in directory: URL, environment: [String: String],
         timeout: TimeInterval = 600) throws -> CommandResult {
    let outURL = FileManager.default.temporaryDirectory.appendingPathComponent("out-\(UUID().uuidString)")
    let errURL = FileManager.default.temporaryDirectory.appendingPathComponent("err-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
        try? FileManager.default.removeItem(at: outURL)
        try? FileManager.default.removeItem(at: errURL)
    }
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    process.currentDirectoryURL = directory
    process.environment = environment
    process.standardInput = FileHandle(forReadingAtPath: "/dev/null")
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    try process.run()
    let deadline = Date().addingTimeInterval(timeout)
    while process.isRunning {
        if Date() > deadline {
            process.terminate()
            throw TestFailure("\(executable.lastPathComponent) \(arguments) did not finish within \(timeout) s")
        }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return CommandResult(status: process.terminationStatus,
                         stdout: try String(contentsOf: outURL, encoding: .utf8),
                         stderr: try String(contentsOf: errURL, encoding: .utf8))
}
