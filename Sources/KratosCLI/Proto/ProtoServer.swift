import ArgumentParser
import Foundation
import KratosCodeGen
import SwiftParser
import SwiftProtobuf
import SwiftProtobufPluginLibrary
import SwiftSyntax

/// `kratos proto server PATH.proto… -t DIR`: writes a service implementation per proto service.
struct ProtoServer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "server",
        abstract: "Write service implementations for the services of protos.",
        discussion: """
            One file per service in DIR, named after the Swift type it declares (the proto service \
            name: Greeter.swift declares struct Greeter), conforming to the service protocol that \
            `kratos proto client` generates. Each RPC gets a stub that compiles and answers 501 \
            NOT_IMPLEMENTED. An existing file is never overwritten: RPCs it lacks are appended to \
            the type as new methods and everything else, your code included, is kept.

            Examples:
              kratos proto server api/helloworld/v1/greeter.proto -t Sources/Helloworld/Service
              kratos proto server api/billing/v1/*.proto -t Sources/Billing/Service --import BillingAPI
            """
    )

    @Argument(help: ArgumentHelp("The protos whose services to implement.", valueName: "path"))
    var paths: [String]

    @Option(name: [.customShort("t"), .customLong("target-dir")], help: "The directory for the service files.")
    var targetDirectory: String

    @Option(name: [.short, .customLong("proto_path")], help: "An include directory; repeatable.")
    var protoPaths: [String] = []

    @Option(name: .customLong("import"), help: "A module the files import (the generated code's); default API.")
    var imports: [String] = []

    func run() throws {
        let environment = Environment()
        let directory = environment.resolve(targetDirectory)
        let services = try paths.flatMap { try ProtoServices.load(environment.resolve($0), protoPaths: protoPaths.map(environment.resolve),
                                                                  environment: environment) }
        for service in services {
            let file = directory.appendingPathComponent("\(service.typeName).swift")
            let outcome = try ServiceFile.update(file, with: service, imports: imports.isEmpty ? ["API"] : imports)
            environment.terminal.line("\(file.path): \(outcome)")
        }
    }
}

/// The services of a proto, read through protoc's descriptor set.
enum ProtoServices {
    static func load(_ proto: URL, protoPaths: [URL], environment: Environment) throws -> [ServerStubs.Service] {
        guard proto.pathExtension == "proto", FileManager.default.fileExists(atPath: proto.path) else {
            throw CLIError.usage("\(proto.path) is not a .proto file", fix: "give the protos whose services to implement")
        }
        let protoc = try Tool.protoc.require(in: environment)
        let root = ProjectRoot.find(from: environment.currentDirectory) ?? environment.currentDirectory
        let api = root.appendingPathComponent("api").standardizedFileURL
        let base = proto.standardizedFileURL.path.hasPrefix(api.path + "/") ? api : proto.deletingLastPathComponent()
        let relative = String(proto.standardizedFileURL.path.dropFirst(base.path.count + 1))
        var includes = [base] + protoPaths
        let thirdParty = root.appendingPathComponent("third_party")
        if FileManager.default.fileExists(atPath: thirdParty.path) { includes.append(thirdParty) }
        includes.append(try ShippedProtos.directory(in: environment))
        let set = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-\(UUID().uuidString).desc")
        defer { try? FileManager.default.removeItem(at: set) }
        let result = try Subprocess.run(protoc, includes.map { "-I" + $0.path } + ["--include_imports", "--descriptor_set_out=\(set.path)", relative])
        guard result.status == 0 else {
            throw CLIError.failure("protoc failed on \(relative):\n\(result.stderr.trimmingCharacters(in: .whitespacesAndNewlines))",
                                   fix: "fix the proto, or add the include path it needs with -p")
        }
        let descriptors = try Google_Protobuf_FileDescriptorSet(serializedBytes: try Data(contentsOf: set))
        let files = DescriptorSet(protos: descriptors.file)
        guard let file = files.fileDescriptor(named: relative) else { return [] }
        return ServerStubs.services(in: file)
    }
}

/// Writing a service file: new, or amended with the methods it lacks.
enum ServiceFile {
    /// Creates `file`, or appends the missing methods to its type; returns what was done.
    static func update(_ file: URL, with service: ServerStubs.Service, imports: [String]) throws -> String {
        let fm = FileManager.default
        guard fm.fileExists(atPath: file.path) else {
            try write(service.file(imports: imports), to: file, replacing: false)
            return "created (\(service.methods.count) methods)"
        }
        let source = try String(contentsOf: file, encoding: .utf8)
        let (amended, added) = try append(service, to: source, file: file.path)
        guard !added.isEmpty else { return "up to date" }
        try write(amended, to: file, replacing: true)
        return "added \(added.joined(separator: ", "))"
    }

    /// `source` with the stubs of the service's methods it does not declare inserted at the end of
    /// the type's body. The type is found with swift-syntax; methods declared in the type or in
    /// any extension of it count as present.
    static func append(_ service: ServerStubs.Service, to source: String, file: String) throws -> (String, [String]) {
        let tree = Parser.parse(source: source)
        let finder = TypeFinder(name: service.typeName)
        finder.walk(tree)
        guard let body = finder.body else {
            throw CLIError.failure("\(file) declares no type \(service.typeName); nothing was changed",
                                   fix: "rename the type back to \(service.typeName), or move the file aside to regenerate it")
        }
        let missing = service.methods.filter { !finder.functions.contains($0.name) }
        guard !missing.isEmpty else { return (source, []) }
        // Insert just before the closing brace, keeping the brace's own line and indentation.
        let utf8 = Array(source.utf8)
        var offset = body.rightBrace.positionAfterSkippingLeadingTrivia.utf8Offset
        while offset > 0, utf8[offset - 1] == UInt8(ascii: " ") || utf8[offset - 1] == UInt8(ascii: "\t") { offset -= 1 }
        let needsNewline = offset > 0 && utf8[offset - 1] != UInt8(ascii: "\n")
        let insertion = (needsNewline ? "\n" : "") + missing.map { "\n" + $0.source }.joined()
        let amended = String(decoding: utf8[..<offset], as: UTF8.self) + insertion + String(decoding: utf8[offset...], as: UTF8.self)
        return (amended, missing.map(\.name))
    }

    private static func write(_ text: String, to file: URL, replacing: Bool) throws {
        let fm = FileManager.default
        let created = try FileSystem.createDirectories(file.deletingLastPathComponent())
        let temporary = file.deletingLastPathComponent().appendingPathComponent(".\(file.lastPathComponent).kratos-\(UUID().uuidString.prefix(8))")
        do {
            try Data(text.utf8).write(to: temporary)
            // rename(2) replaces atomically; link(2) refuses a file that appeared meanwhile.
            let moved = replacing ? rename(temporary.path, file.path) : link(temporary.path, file.path)
            guard moved == 0 else { throw CLIError.failure("cannot write \(file.path): \(String(cString: strerror(errno)))") }
            try? fm.removeItem(at: temporary)
        } catch {
            try? fm.removeItem(at: temporary)
            FileSystem.removeEmpty(created)
            throw CLIError.failure("cannot write \(file.path): \(error)", fix: "check that the directory is writable")
        }
    }
}

/// Finds the first struct/class/actor named `name` and every function declared in it or in its
/// extensions.
private final class TypeFinder: SyntaxVisitor {
    let name: String
    private(set) var body: MemberBlockSyntax?
    private(set) var functions: Set<String> = []

    init(name: String) {
        self.name = name
        super.init(viewMode: .sourceAccurate)
    }

    private func collect(_ members: MemberBlockSyntax) {
        for member in members.members {
            if let function = member.decl.as(FunctionDeclSyntax.self) { functions.insert(function.name.text) }
        }
    }

    private func found(_ identifier: TokenSyntax, _ members: MemberBlockSyntax) -> SyntaxVisitorContinueKind {
        if identifier.text == name {
            if body == nil { body = members }
            collect(members)
        }
        return .skipChildren
    }

    override func visit(_ node: StructDeclSyntax) -> SyntaxVisitorContinueKind { found(node.name, node.memberBlock) }
    override func visit(_ node: ClassDeclSyntax) -> SyntaxVisitorContinueKind { found(node.name, node.memberBlock) }
    override func visit(_ node: ActorDeclSyntax) -> SyntaxVisitorContinueKind { found(node.name, node.memberBlock) }

    override func visit(_ node: ExtensionDeclSyntax) -> SyntaxVisitorContinueKind {
        if node.extendedType.trimmedDescription == name { collect(node.memberBlock) }
        return .skipChildren
    }
}
