import ArgumentParser
import Foundation
import KratosTemplates

/// `kratos proto client PATH|DIR`: generates messages, gRPC, HTTP and error code for protos.
struct ProtoClient: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client",
        abstract: "Generate Swift code for protos: messages, gRPC, HTTP routes and clients, errors.",
        discussion: """
            Runs protoc with protoc-gen-swift, protoc-gen-kratos-http, protoc-gen-kratos-grpc and \
            protoc-gen-kratos-errors (which writes nothing for a file without error enums); a proto \
            with services gets <proto>.kratos.swift (its service protocols and operations), \
            .http.swift and .kratos-grpc.swift. A proto that imports buf/validate/validate.proto \
            (directly or through its imports) also goes through protoc-gen-kratos-validate: \
            <proto>.validate.swift, each message's validation rules. A proto that imports \
            google/api/httpbody.proto also gets google/api/httpbody.pb.swift (once, where the first \
            such proto's code goes): the message its raw-body routes use. --openapi also writes one OpenAPI 3.1 \
            document for all the protos (protoc-gen-kratos-openapi): to --openapi-path (JSON when it ends in .json), \
            default openapi.yaml in the output directory (Sources/API/openapi.yaml for api/). Tools are looked up in \
            $KRATOS_HOME/bin, then on PATH; `kratos upgrade` installs them all.

            A directory is walked for .proto files, skipping third_party* directories. Include paths, \
            in order: the proto's root (the package's api/ directory for files under it, else the \
            current directory), each -p (default: third_party/ when it exists), each entry of \
            KRATOS_PROTO_PATH (:-separated), and the protos kratos ships (google/api, google/rpc, \
            errors, buf/validate). Output goes to -o; by default to Sources/API/ for protos under api/ when the \
            package has that directory (the layout `kratos new` makes), else next to each proto. \
            Arguments after -- go to protoc.

            Examples:
              kratos proto client api/helloworld/v1/greeter.proto
              kratos proto client api
              kratos proto client api --dry-run
              kratos proto client api --openapi
              kratos proto client api -p ../shared/protos -- --experimental_allow_proto3_optional
            """
    )

    @Argument(help: ArgumentHelp("A .proto file or a directory of them.", valueName: "path"))
    var path: String

    @Option(name: [.short, .customLong("proto_path")], help: "An include directory; repeatable.")
    var protoPaths: [String] = []

    @Option(name: [.short, .customLong("output")], help: "Where generated files go.")
    var output: String?

    @Flag(name: .customLong("http-client"), help: "Also generate the typed HTTP client (needs KratosHTTPClient).")
    var httpClient = false

    @Flag(help: "Also write the OpenAPI 3.1 document of the protos' HTTP API.")
    var openapi = false

    @Option(name: .customLong("openapi-path"), help: "Where the OpenAPI document goes (implies --openapi); .json for JSON.")
    var openapiPath: String?

    @Flag(help: "Print the protoc command lines and write nothing.")
    var dryRun = false

    @Argument(parsing: .postTerminator, help: ArgumentHelp("Extra protoc arguments, after --.", valueName: "protoc-args"))
    var protocArguments: [String] = []

    func run() throws {
        let environment = Environment()
        let plan = try ProtoGeneration(
            target: environment.resolve(path), protoPaths: protoPaths.map(environment.resolve),
            output: output.map(environment.resolve), httpClient: httpClient, extraArguments: protocArguments,
            environment: environment
        )
        for job in plan.jobs {
            if dryRun {
                environment.terminal.line(([job.protoc.path] + job.arguments(output: job.output.path)).map(Shell.quote).joined(separator: " "))
                continue
            }
            let written = try job.run()
            let list = written.isEmpty ? "nothing (no messages, services or errors)" : written.joined(separator: ", ")
            environment.terminal.line("\(job.relativeFile): \(list)")
        }
        guard openapi || openapiPath != nil else { return }
        let document = try OpenAPIJob(for: plan, path: openapiPath.map(environment.resolve), environment: environment)
        if dryRun {
            environment.terminal.line(([document.protoc.path] + document.arguments(output: document.destination.deletingLastPathComponent().path))
                .map(Shell.quote).joined(separator: " "))
            return
        }
        try document.run()
        environment.terminal.line("OpenAPI: \(document.destination.path)")
    }
}

/// The protoc runs for a file or a directory: which files, which include paths, where output goes.
struct ProtoGeneration {
    struct Job {
        let protoc: URL
        let plugins: [(tool: Tool, url: URL)]
        /// The proto, relative to its include root (what protoc is given).
        let relativeFile: String
        let includes: [URL]
        let output: URL
        let httpClient: Bool
        let extraArguments: [String]

        /// protoc's arguments, writing into `output`.
        func arguments(output: String) -> [String] {
            var arguments = includes.map { "-I" + $0.path }
            for (tool, url) in plugins {
                let name = String(tool.name.dropFirst("protoc-gen-".count))
                var options = "Visibility=Public,FileNaming=FullPath"
                // Both write the shared <proto>.kratos.swift unless told not to; protoc refuses it twice.
                if tool == .kratosGRPCPlugin { options += ",Shared=false" }
                if tool == .httpPlugin, !httpClient { options += ",Client=false" }
                arguments += ["--plugin=\(tool.name)=\(url.path)", "--\(name)_out=\(output)", "--\(name)_opt=\(options)"]
            }
            return arguments + extraArguments + [relativeFile]
        }

        /// Generates into a staging directory, then moves each file into place; returns the
        /// files written, relative to the output directory.
        func run() throws -> [String] {
            let fm = FileManager.default
            let staging = fm.temporaryDirectory.appendingPathComponent("kratos-proto-\(UUID().uuidString)")
            try fm.createDirectory(at: staging, withIntermediateDirectories: true)
            defer { try? fm.removeItem(at: staging) }
            let result = try Subprocess.run(protoc, arguments(output: staging.path))
            guard result.status == 0 else {
                throw CLIError.failure("protoc failed on \(relativeFile):\n\(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
                                       fix: "fix the proto, or add the include path it needs with -p")
            }
            var written: [String] = []
            let files = fm.enumerator(atPath: staging.path)?.compactMap { $0 as? String } ?? []
            for file in files.sorted() where !isDirectory(staging.appendingPathComponent(file)) {
                // A file of comments alone has nothing to compile.
                guard let text = try? String(contentsOf: staging.appendingPathComponent(file), encoding: .utf8),
                      text.split(separator: "\n").contains(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty && !$0.hasPrefix("//") })
                else { continue }
                let destination = output.appendingPathComponent(file)
                try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
                try fm.moveItem(at: staging.appendingPathComponent(file), to: destination)
                written.append(file)
            }
            return written
        }

        private func isDirectory(_ url: URL) -> Bool {
            var directory: ObjCBool = false
            return FileManager.default.fileExists(atPath: url.path, isDirectory: &directory) && directory.boolValue
        }
    }

    let jobs: [Job]

    /// The plugins run on every proto, in order. Not protoc-gen-grpc-swift-2: KratosGRPC registers
    /// and calls services by their operation names, so nothing uses grpc-swift's generated stubs.
    /// protoc-gen-kratos-validate runs after them on the protos that import the rules.
    static let plugins: [Tool] = [.swiftPlugin, .httpPlugin, .kratosGRPCPlugin, .errorsPlugin]

    init(target: URL, protoPaths: [URL], output: URL?, httpClient: Bool, extraArguments: [String], environment: Environment) throws {
        let fm = FileManager.default
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: target.path, isDirectory: &isDirectory) else {
            throw CLIError.usage("\(target.path) does not exist", fix: "give a .proto file or a directory of them")
        }
        let files: [URL]
        if isDirectory.boolValue {
            files = Self.protos(in: target)
            guard !files.isEmpty else {
                throw CLIError.usage("\(target.path) holds no .proto files (third_party* is skipped)", fix: "give a directory with protos")
            }
        } else {
            guard target.pathExtension == "proto" else {
                throw CLIError.usage("\(target.path) is not a .proto file", fix: "give a .proto file or a directory of them")
            }
            files = [target]
        }
        // Fail before doing anything when a tool is missing.
        let protoc = try Tool.protoc.require(in: environment)
        let plugins = try Self.plugins.map { ($0, try $0.require(in: environment)) }
        let root = ProjectRoot.find(from: environment.currentDirectory) ?? environment.currentDirectory
        var includes = protoPaths
        if includes.isEmpty, fm.fileExists(atPath: root.appendingPathComponent("third_party").path) {
            includes.append(root.appendingPathComponent("third_party"))
        }
        includes += (environment.variables["KRATOS_PROTO_PATH"] ?? "").split(separator: ":").map { environment.resolve(String($0)) }
        includes.append(try ShippedProtos.directory(in: environment))

        let api = root.appendingPathComponent("api").standardizedFileURL
        var validate: URL?
        var jobs = try files.map { file in
            let underAPI = file.standardizedFileURL.path.hasPrefix(api.path + "/")
            let base = underAPI ? api : root
            let relative = String(file.standardizedFileURL.path.dropFirst(base.path.count + 1))
            let defaultOutput = underAPI && fm.fileExists(atPath: root.appendingPathComponent("Sources/API").path)
                ? root.appendingPathComponent("Sources/API") : base
            var jobPlugins = plugins
            if ProtoImports.reach(ProtoImports.validateRules, from: relative, includes: [base] + includes) {
                if validate == nil { validate = try Tool.validatePlugin.require(in: environment) }
                if let validate { jobPlugins.append((.validatePlugin, validate)) }
            }
            return Job(protoc: protoc, plugins: jobPlugins, relativeFile: relative, includes: [base] + includes,
                       output: output ?? defaultOutput, httpClient: httpClient, extraArguments: extraArguments)
        }
        // Routes taking or returning google.api.HttpBody use its Swift message: generated once,
        // next to the first proto that needs it (the other third-party protos hold only options).
        if !jobs.contains(where: { $0.relativeFile == ProtoImports.httpBody }),
           let first = jobs.first(where: { ProtoImports.reach(ProtoImports.httpBody, from: $0.relativeFile, includes: $0.includes) }) {
            jobs.append(Job(protoc: protoc, plugins: plugins.filter { $0.0 == .swiftPlugin }, relativeFile: ProtoImports.httpBody,
                            includes: first.includes, output: first.output, httpClient: httpClient, extraArguments: extraArguments))
        }
        self.jobs = jobs
    }

    /// The .proto files below `directory`, sorted, skipping `third_party*` and hidden directories.
    static func protos(in directory: URL) -> [URL] {
        let fm = FileManager.default
        guard let walker = fm.enumerator(at: directory, includingPropertiesForKeys: [.isDirectoryKey], options: [.skipsHiddenFiles]) else {
            return []
        }
        var found: [URL] = []
        for case let url as URL in walker {
            if (try? url.resourceValues(forKeys: [.isDirectoryKey]).isDirectory) == true {
                if url.lastPathComponent.hasPrefix("third_party") || url.lastPathComponent == ".build" { walker.skipDescendants() }
            } else if url.pathExtension == "proto" {
                found.append(url)
            }
        }
        return found.sorted { $0.path < $1.path }
    }
}

/// The protos kratos ships (google/api, google/rpc, errors, buf/validate), written once from the embedded
/// template's third_party/ into `$KRATOS_HOME/include/<version>` so protoc can read them.
enum ShippedProtos {
    static func directory(in environment: Environment) throws -> URL {
        let directory = environment.kratosHome.appendingPathComponent("include/\(KratosCommand.version)")
        let fm = FileManager.default
        guard let template = EmbeddedTemplate.named(EmbeddedTemplate.defaultName) else { return directory }
        if fm.fileExists(atPath: directory.appendingPathComponent(".complete").path) {
            // Written by an earlier build of this version: add the protos it lacks (buf/validate
            // came later), each file written whole.
            for file in template.files where file.path.hasPrefix("third_party/") && file.path.hasSuffix(".proto") {
                let url = directory.appendingPathComponent(String(file.path.dropFirst("third_party/".count)))
                guard !fm.fileExists(atPath: url.path) else { continue }
                try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(file.contents).write(to: url, options: .atomic)
            }
            return directory
        }
        let staging = directory.deletingLastPathComponent().appendingPathComponent(".\(KratosCommand.version)-\(UUID().uuidString.prefix(8))")
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        for file in template.files where file.path.hasPrefix("third_party/") && file.path.hasSuffix(".proto") {
            let url = staging.appendingPathComponent(String(file.path.dropFirst("third_party/".count)))
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(file.contents).write(to: url)
        }
        _ = fm.createFile(atPath: staging.appendingPathComponent(".complete").path, contents: Data())
        if (try? fm.moveItem(at: staging, to: directory)) == nil {
            // Another kratos finished first; use its copy.
            try? fm.removeItem(at: staging)
        }
        return directory
    }
}
