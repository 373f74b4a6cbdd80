import Foundation

/// An external program the CLI drives: protoc, its plugins, swift.
struct Tool: Sendable, Equatable {
    /// The executable's name, e.g. `protoc-gen-swift`.
    let name: String
    /// What installs it when it is missing.
    let fix: String

    static let protoc = Tool(name: "protoc", fix: "run `kratos upgrade` (or `apt-get install protobuf-compiler`)")
    static let swiftPlugin = Tool(name: "protoc-gen-swift", fix: "run `kratos upgrade`")
    static let httpPlugin = Tool(name: "protoc-gen-kratos-http", fix: "run `kratos upgrade`")
    static let kratosGRPCPlugin = Tool(name: "protoc-gen-kratos-grpc", fix: "run `kratos upgrade`")
    static let errorsPlugin = Tool(name: "protoc-gen-kratos-errors", fix: "run `kratos upgrade`")
    static let validatePlugin = Tool(name: "protoc-gen-kratos-validate", fix: "run `kratos upgrade`")
    static let openAPIPlugin = Tool(name: "protoc-gen-kratos-openapi", fix: "run `kratos upgrade`")
    static let swift = Tool(name: "swift", fix: "install Swift 6 and put its bin directory on PATH")

    /// Every protoc plugin `kratos proto client` runs (the validate one for protos that import
    /// `buf/validate/validate.proto`, the OpenAPI one with `--openapi`).
    static let plugins: [Tool] = [swiftPlugin, httpPlugin, kratosGRPCPlugin, errorsPlugin, validatePlugin, openAPIPlugin]

    /// Where the tool is: `$KRATOS_HOME/bin` first, then each `PATH` entry; nil when absent.
    func locate(in environment: Environment) -> URL? {
        let directories = [environment.kratosHome.appendingPathComponent("bin").path]
            + (environment.variables["PATH"] ?? "").split(separator: ":").map(String.init)
        for directory in directories where !directory.isEmpty {
            let candidate = URL(fileURLWithPath: directory).appendingPathComponent(name)
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
        }
        return nil
    }

    /// The tool's path, or a failure naming it and the fix.
    func require(in environment: Environment) throws -> URL {
        guard let url = locate(in: environment) else {
            throw CLIError.failure("\(name) was not found in \(environment.kratosHome.path)/bin or on PATH", fix: fix)
        }
        return url
    }
}

/// Runs a program to completion, capturing what it prints.
enum Subprocess {
    struct Output {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// Runs `executable` with `arguments` (no shell), stdin closed.
    static func run(_ executable: URL, _ arguments: [String], in directory: URL? = nil,
                    environment: [String: String]? = nil) throws -> Output {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if let directory { process.currentDirectoryURL = directory }
        if let environment { process.environment = environment }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Drain both pipes at once so neither fills up and blocks the child.
        let stderrData = Collected()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            stderrData.data = err.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let stdoutData = out.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        process.waitUntilExit()
        return Output(status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
                      stderr: String(decoding: stderrData.data, as: UTF8.self))
    }
}

/// Bytes one reader thread fills while another waits on the group that orders the two.
private final class Collected: @unchecked Sendable {
    var data = Data()
}
