import Foundation

/// `kratos proto client --openapi`: one protoc run with protoc-gen-kratos-openapi over every
/// proto of the request, writing one OpenAPI 3.1 document (JSON when the path ends in `.json`).
struct OpenAPIJob {
    let protoc: URL
    let plugin: URL
    /// The protos, relative to their include root.
    let files: [String]
    let includes: [URL]
    /// Where the document goes.
    let destination: URL

    /// The document for the protos of `generation`: to `path`, else `openapi.yaml` in the first
    /// job's output directory (`Sources/API/openapi.yaml` in the layout `kratos new` makes).
    init(for generation: ProtoGeneration, path: URL?, environment: Environment) throws {
        guard let first = generation.jobs.first else {
            throw CLIError.usage("no protos to describe", fix: "give a .proto file or a directory of them")
        }
        guard generation.jobs.allSatisfy({ $0.includes.first == first.includes.first }) else {
            throw CLIError.usage("the protos have different roots (some under api/, some not)",
                                 fix: "run `kratos proto client --openapi` on the protos of one root")
        }
        protoc = first.protoc
        plugin = try Tool.openAPIPlugin.require(in: environment)
        files = generation.jobs.map(\.relativeFile)
        includes = first.includes
        destination = path ?? first.output.appendingPathComponent("openapi.yaml")
    }

    /// protoc's arguments, writing into `output`.
    func arguments(output: String) -> [String] {
        let format = destination.pathExtension.lowercased() == "json" ? "json" : "yaml"
        return includes.map { "-I" + $0.path } + [
            "--plugin=\(Tool.openAPIPlugin.name)=\(plugin.path)", "--kratos-openapi_out=\(output)", "--kratos-openapi_opt=Format=\(format)",
        ] + files
    }

    /// Generates into a staging directory, then moves the document into place.
    func run() throws {
        let fm = FileManager.default
        let staging = fm.temporaryDirectory.appendingPathComponent("kratos-openapi-\(UUID().uuidString)")
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: staging) }
        let result = try Subprocess.run(protoc, arguments(output: staging.path))
        guard result.status == 0 else {
            throw CLIError.failure("protoc-gen-kratos-openapi failed:\n\(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
                                   fix: "fix the proto (or its HTTP rules), or add the include path it needs with -p")
        }
        let written = staging.appendingPathComponent(destination.pathExtension.lowercased() == "json" ? "openapi.json" : "openapi.yaml")
        try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        if fm.fileExists(atPath: destination.path) { try fm.removeItem(at: destination) }
        try fm.moveItem(at: written, to: destination)
    }
}
