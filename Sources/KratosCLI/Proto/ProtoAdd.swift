import ArgumentParser
import Foundation

/// `kratos proto add PATH.proto`: writes a CRUD skeleton for a new API.
struct ProtoAdd: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "add",
        abstract: "Write a proto skeleton (a CRUD service) at a hierarchical path.",
        discussion: """
            The path names the API: api/helloworld/v1/demo.proto declares package helloworld.v1 \
            (api/ is the protos' root) and service Demo with Create, Update, Delete, Get and List RPCs bound to HTTP routes. An \
            existing file is never overwritten.

            Examples:
              kratos proto add api/helloworld/v1/demo.proto
              kratos proto add api/billing/v1/invoice.proto
            """
    )

    @Argument(help: ArgumentHelp("Where to write the proto, e.g. api/helloworld/v1/demo.proto.", valueName: "path"))
    var path: String

    func run() throws {
        let skeleton = try ProtoSkeleton(path: path)
        let url = URL(fileURLWithPath: skeleton.path, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        try ProtoSkeleton.write(skeleton.text, to: url)
        Environment().terminal.line("created \(skeleton.path) (package \(skeleton.package), service \(skeleton.service))")
    }
}

/// The proto `kratos proto add` writes, derived from its path.
struct ProtoSkeleton: Equatable {
    let path: String
    /// The proto package: the path's directories, lowercased and joined with dots, without a
    /// leading `api` (the protos' root): `helloworld.v1` for `api/helloworld/v1/demo.proto`.
    let package: String
    /// `Demo` for `demo.proto`, `OrderItem` for `order_item.proto`.
    let service: String

    init(path: String) throws {
        var clean = path
        while clean.hasPrefix("./") { clean.removeFirst(2) }
        guard clean.hasSuffix(".proto") else {
            throw CLIError.usage("\(path) is not a .proto file", fix: "name it like api/helloworld/v1/demo.proto")
        }
        let parts = clean.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        let rootless = parts.first == "api" ? parts.dropFirst().count : parts.count
        guard !clean.hasPrefix("/"), rootless >= 3, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." }) else {
            throw CLIError.usage("\(path) is not a hierarchical proto path",
                                 fix: "give the API its own directories, e.g. api/helloworld/v1/demo.proto")
        }
        let directories = parts.dropLast()
        let identifier = /^[A-Za-z][A-Za-z0-9_]*$/
        for directory in directories where directory.wholeMatch(of: identifier) == nil {
            throw CLIError.usage("\(directory) in \(path) cannot be part of a proto package",
                                 fix: "use letters, digits and _ in directory names, starting with a letter")
        }
        let base = String(parts.last!.dropLast(".proto".count))
        guard base.wholeMatch(of: identifier) != nil else {
            throw CLIError.usage("\(base) in \(path) cannot name a proto service", fix: "use letters, digits and _, starting with a letter")
        }
        self.path = clean
        // api/ is the protos' root (protoc runs with -I api), so it is not part of the package.
        let packageParts = directories.first == "api" ? Array(directories.dropFirst()) : Array(directories)
        package = packageParts.joined(separator: ".").lowercased()
        service = base.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }

    var text: String {
        let resource = service.prefix(1).lowercased() + service.dropFirst()
        let route = "/" + package.split(separator: ".").joined(separator: "/") + "/\(resource)"
        let lastComponent = package.split(separator: ".").last.map(String.init) ?? package
        var text = """
            syntax = "proto3";

            package \(package);

            import "google/api/annotations.proto";

            option go_package = "\(package.replacingOccurrences(of: ".", with: "/"));\(lastComponent)";
            option java_multiple_files = true;
            option java_package = "\(package)";

            service \(service) {

            """
        let rpcs: [(String, String, String)] = [
            ("Create", "post", "body: \"*\""),
            ("Update", "put", "body: \"*\""),
            ("Delete", "delete", ""),
            ("Get", "get", ""),
            ("List", "get", ""),
        ]
        for (verb, method, body) in rpcs {
            let path = verb == "List" || verb == "Create" ? route + "s" : route + "s/{id}"
            let rule = body.isEmpty ? "\(method): \"\(path)\"" : "\(method): \"\(path)\" \(body)"
            text += """
                  rpc \(verb)\(service)(\(verb)\(service)Request) returns (\(verb)\(service)Reply) {
                    option (google.api.http) = {\(rule)};
                  }

                """
        }
        text += "}\n"
        for (verb, _, _) in rpcs {
            let idField = ["Update", "Delete", "Get"].contains(verb) ? "\n  string id = 1;\n" : ""
            text += "\nmessage \(verb)\(service)Request {\(idField)}\n"
            text += "message \(verb)\(service)Reply {}\n"
        }
        return text
    }

    /// Writes `text` at `url` through a temporary file beside it; never replaces an existing file.
    static func write(_ text: String, to url: URL) throws {
        let fm = FileManager.default
        guard !fm.fileExists(atPath: url.path) else {
            throw CLIError.failure("\(url.relativePath) already exists; nothing was written",
                                   fix: "choose another path, or remove the file first")
        }
        let created = try FileSystem.createDirectories(url.deletingLastPathComponent())
        let temporary = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).kratos-\(UUID().uuidString.prefix(8))")
        do {
            try Data(text.utf8).write(to: temporary)
            // link(2) refuses an existing destination, so a file that appeared meanwhile is kept.
            guard link(temporary.path, url.path) == 0 else {
                throw CLIError.failure("\(url.relativePath) already exists; nothing was written",
                                       fix: "choose another path, or remove the file first")
            }
            try? fm.removeItem(at: temporary)
        } catch {
            try? fm.removeItem(at: temporary)
            FileSystem.removeEmpty(created)
            throw error
        }
    }
}
