import Foundation
import Synchronization
import Testing

/// A project made by `kratos new helloworld` in a temporary directory.
struct Project {
    let sandbox: URL
    let directory: URL
    let environment: [String: String]
    let testConfig: URL

    static var kratos: String {
        ProcessInfo.processInfo.environment["KRATOS_BIN"]
            ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("kratos").path
    }

    static func create() async throws -> Project {
        let sandbox = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: sandbox, withIntermediateDirectories: true)
        var environment = ProcessInfo.processInfo.environment
        environment["KRATOS_HOME"] = sandbox.appendingPathComponent("kratos-home").path
        // The plugins `kratos proto client` runs: those built beside the tests.
        let bin = sandbox.appendingPathComponent("kratos-home/bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let built = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for tool in ["protoc-gen-swift", "protoc-gen-kratos-http", "protoc-gen-kratos-grpc", "protoc-gen-kratos-errors", "protoc-gen-kratos-validate",
                     "protoc-gen-kratos-openapi"] {
            try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent(tool), withDestinationURL: built.appendingPathComponent(tool))
        }
        let created = try await runProcess(kratos, ["new", "helloworld", "--json"], in: sandbox, environment: environment)
        guard created.status == 0 else { throw E2EFailure("kratos new failed: \(created.stderr)") }
        let directory = sandbox.appendingPathComponent("helloworld")
        // Loopback and ephemeral ports for the test; the service reports the ports it got. The
        // HTTP address comes from the environment through a placeholder, as a twelve-factor
        // deployment (and a go-kratos user with env.NewSource) writes it.
        let config = sandbox.appendingPathComponent("test-configs")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        environment["E2E_HTTP_ADDR"] = "127.0.0.1:0"
        let yaml = try String(contentsOf: directory.appendingPathComponent("configs/config.yaml"), encoding: .utf8)
            .replacingOccurrences(of: "0.0.0.0:8000", with: "${E2E_HTTP_ADDR:0.0.0.0:8000}")
            .replacingOccurrences(of: "0.0.0.0:9000", with: "127.0.0.1:0")
        try yaml.write(to: config.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        return Project(sandbox: sandbox, directory: directory, environment: environment, testConfig: config)
    }

    /// A config directory beside the test config: its YAML with `extra` appended.
    func config(named name: String, adding extra: String) throws -> URL {
        let directory = sandbox.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let yaml = try String(contentsOf: testConfig.appendingPathComponent("config.yaml"), encoding: .utf8)
        try (yaml + "\n" + extra + "\n").write(to: directory.appendingPathComponent("config.yaml"), atomically: true, encoding: .utf8)
        return directory
    }

    func remove() {
        try? FileManager.default.removeItem(at: sandbox)
    }

    @discardableResult
    func kratos(_ arguments: String...) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.kratos)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        let out = Pipe()
        process.standardOutput = out
        process.standardError = out
        try process.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw E2EFailure("kratos \(arguments.joined(separator: " ")) failed: \(text)") }
        return text
    }

    func edit(_ path: String, _ change: (String) -> String) throws {
        let url = directory.appendingPathComponent(path)
        let before = try String(contentsOf: url, encoding: .utf8)
        let after = change(before)
        guard after != before else { throw E2EFailure("editing \(path) changed nothing") }
        try after.write(to: url, atomically: true, encoding: .utf8)
    }

    /// The user's one-line change that turns the template's OTLP exporter on.
    func enableOTLPExport() throws {
        try edit("Package.swift") { $0.replacingOccurrences(of: "let exportTraces = false", with: "let exportTraces = true") }
    }

    /// `kratos run` in the background, its stderr collected.
    /// The build directory to share (Scripts/test sets `KRATOS_E2E_SCRATCH_PATH` to the package's
    /// own .build): the project's dependencies are those the package built already, so only the
    /// runtime and the project compile. Unset, the project builds in its own .build from cold.
    static var scratchPath: [String] {
        ProcessInfo.processInfo.environment["KRATOS_E2E_SCRATCH_PATH"].map { ["--scratch-path", $0] } ?? []
    }

    func run(_ arguments: [String], environment extra: [String: String] = [:]) throws -> RunningService {
        let run = ["run"] + Self.scratchPath + arguments
        return try RunningService(kratos: Self.kratos, arguments: run, directory: directory,
                                  environment: environment.merging(extra) { $1 })
    }

    /// SayHello through Python's grpcio with stubs made by grpc_tools from the project's protos.
    func pythonGreeting(_ endpoint: String) async throws -> String {
        let stubs = sandbox.appendingPathComponent("py")
        try FileManager.default.createDirectory(at: stubs, withIntermediateDirectories: true)
        let generated = try await runProcess("/usr/bin/env", [
            "python3", "-m", "grpc_tools.protoc", "-I", "api", "-I", "third_party", "--python_out=\(stubs.path)",
            "--grpc_python_out=\(stubs.path)", "api/helloworld/v1/greeter.proto", "third_party/buf/validate/validate.proto",
        ], in: directory)
        guard generated.status == 0 else { throw E2EFailure("grpc_tools.protoc failed: \(generated.stderr)") }
        let script = """
            import sys
            sys.path.insert(0, sys.argv[1])
            import grpc
            from helloworld.v1 import greeter_pb2, greeter_pb2_grpc
            with grpc.insecure_channel(sys.argv[2]) as channel:
                print(greeter_pb2_grpc.GreeterStub(channel).SayHello(greeter_pb2.HelloRequest(name="python"), timeout=10).message)
            """
        let run = try await runProcess("/usr/bin/env", ["python3", "-c", script, stubs.path, String(endpoint.dropFirst("grpc://".count))],
                                       in: directory)
        guard run.status == 0 else { throw E2EFailure("grpcio client failed: \(run.stderr)") }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// What gRPC reflection tells grpcio, with no protos on this side: the services listed, and
    /// the greeter's SayHello input type resolved from the server's descriptors.
    func pythonReflection(_ endpoint: String) async throws -> String {
        let script = """
            import sys
            import grpc
            from google.protobuf.descriptor_pool import DescriptorPool
            from grpc_reflection.v1alpha.proto_reflection_descriptor_database import ProtoReflectionDescriptorDatabase
            with grpc.insecure_channel(sys.argv[1]) as channel:
                database = ProtoReflectionDescriptorDatabase(channel)
                services = sorted(database.get_services())
                pool = DescriptorPool(database)
                method = pool.FindServiceByName("helloworld.v1.Greeter").FindMethodByName("SayHello")
                print(",".join(services) + " " + method.input_type.full_name)
            """
        let run = try await runProcess("/usr/bin/env", ["python3", "-c", script, String(endpoint.dropFirst("grpc://".count))], in: directory)
        guard run.status == 0 else { throw E2EFailure("grpcio reflection failed: \(run.stderr)") }
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// A `kratos run` process and what it has said on stderr.
final class RunningService: @unchecked Sendable {
    let process = Process()
    private let output = LogBuffer()

    init(kratos: String, arguments: [String], directory: URL, environment: [String: String]) throws {
        process.executableURL = URL(fileURLWithPath: kratos)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = environment
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        process.standardInput = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [output] handle in
            output.append(handle.availableData)
        }
        try process.run()
    }

    var log: String { output.text }

    /// The HTTP and gRPC endpoints of the `index`th start of the service (0 = the first).
    func endpoints(within limit: Duration, after index: Int = 0) async throws -> (String, String) {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            let log = self.log
            let http = Self.endpoints(in: log, server: "HTTP server listening", scheme: "http://")
            let grpc = Self.endpoints(in: log, server: "gRPC server listening", scheme: "grpc://")
            if http.count > index, grpc.count > index { return (http[index], grpc[index]) }
            guard process.isRunning else { throw E2EFailure("kratos run exited \(process.terminationStatus):\n\(log.suffix(4000))") }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw E2EFailure("the service did not report its endpoints in time:\n\(log.suffix(4000))")
    }

    private static func endpoints(in log: String, server: String, scheme: String) -> [String] {
        log.split(separator: "\n").filter { $0.contains(server) }.compactMap { line in
            guard let start = line.range(of: scheme) else { return nil }
            return String(line[start.lowerBound...].prefix { !$0.isWhitespace && $0 != "\"" })
        }
    }

    /// SIGKILLs the service `kratos run` started (not kratos), as a crash or the OOM killer
    /// would, and waits for kratos to exit.
    func killService() async throws {
        let children = try await runProcess("/usr/bin/pgrep", ["-P", String(process.processIdentifier)], in: nil)
        let pids = children.stdout.split(separator: "\n").compactMap { Int32($0.trimmingCharacters(in: .whitespaces)) }
        guard !pids.isEmpty else { throw E2EFailure("kratos run has no child process:\n\(log.suffix(2000))") }
        for pid in pids { kill(pid, SIGKILL) }
        let start = ContinuousClock.now
        while process.isRunning, ContinuousClock.now - start < .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
    }

    /// Sends SIGTERM and waits (up to 30 s) for kratos to exit.
    func terminate() async throws -> (status: Int32, seconds: Double) {
        let start = ContinuousClock.now
        kill(process.processIdentifier, SIGTERM)
        while process.isRunning, ContinuousClock.now - start < .seconds(30) {
            try await Task.sleep(for: .milliseconds(20))
        }
        guard !process.isRunning else {
            process.interrupt()
            throw E2EFailure("kratos run did not stop after SIGTERM:\n\(log.suffix(2000))")
        }
        let elapsed = ContinuousClock.now - start
        return (process.terminationStatus, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
    }
}

/// Text a pipe's reader appends to while tests read it.
final class LogBuffer: Sendable {
    private let storage = Mutex("")

    func append(_ data: Data) {
        storage.withLock { $0 += String(decoding: data, as: UTF8.self) }
    }

    var text: String { storage.withLock { $0 } }
}

struct E2EFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

struct CurlResult {
    let status: Int
    let headers: [String: String]
    let body: String
}

/// curl (an independent client); with `-i` the status and headers are parsed.
func curl(_ arguments: [String]) async throws -> CurlResult {
    let run = try await runProcess("/usr/bin/curl", ["-sS", "--max-time", "20"] + arguments, in: nil)
    guard run.status == 0 else { throw E2EFailure("curl \(arguments) failed: \(run.stderr)") }
    guard arguments.contains("-i"), let split = run.stdout.range(of: "\r\n\r\n") else {
        return CurlResult(status: 0, headers: [:], body: run.stdout)
    }
    let head = run.stdout[..<split.lowerBound].components(separatedBy: "\r\n")
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    let status = Int(head.first?.split(separator: " ").dropFirst().first ?? "") ?? 0
    return CurlResult(status: status, headers: headers, body: String(run.stdout[split.upperBound...]))
}

/// Runs a program to completion off the cooperative pool.
func runProcess(_ path: String, _ arguments: [String], in directory: URL?, environment: [String: String]? = nil) async throws
    -> (status: Int32, stdout: String, stderr: String) {
    try await withCheckedThrowingContinuation { continuation in
        DispatchQueue.global().async {
            do {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: path)
                process.arguments = arguments
                if let directory { process.currentDirectoryURL = directory }
                if let environment { process.environment = environment }
                let out = Pipe(), err = Pipe()
                process.standardOutput = out
                process.standardError = err
                process.standardInput = FileHandle.nullDevice
                try process.run()
                let group = DispatchGroup()
                nonisolated(unsafe) var errData = Data()
                group.enter()
                DispatchQueue.global().async {
                    errData = err.fileHandleForReading.readDataToEndOfFile()
                    group.leave()
                }
                let outData = out.fileHandleForReading.readDataToEndOfFile()
                group.wait()
                process.waitUntilExit()
                continuation.resume(returning: (process.terminationStatus, String(decoding: outData, as: UTF8.self),
                                                String(decoding: errData, as: UTF8.self)))
            } catch {
                continuation.resume(throwing: error)
            }
        }
    }
}
