import Foundation

/// `kratos run`'s rebuild after an edit of the package's own sources, without SwiftPM.
///
/// A `swift build` spends about 1.3 s loading and planning the package graph before it looks at a
/// file, which is half of the edit → serve loop. After each successful `swift build`, kratos reads
/// the command graph SwiftPM gave llbuild (`debug.yaml`) and keeps the commands downstream of the
/// package's own sources (compile its modules, wrap their ASTs, link the product) with the stamp of
/// every file they read or write. The next build re-runs exactly those commands whose inputs
/// changed, in order, as llbuild would — an unchanged module interface stops the wave — and hands
/// over to `swift build` whenever anything else moved: Package.swift or Package.resolved, a
/// dependency's sources, the toolchain, a file added or removed, or another build in the same
/// build directory. The commands are SwiftPM's own, so the products are the ones it would make.
struct QuickBuild: Codable, Sendable {
    static let formatVersion = 1

    var version: Int
    var root: String
    var product: String
    /// The llbuild manifest the commands came from.
    var manifest: String
    /// The package's commands downstream of its own sources, in an order that runs inputs first.
    var commands: [BuildManifest.Command]
    /// Files whose change means SwiftPM must build: the manifests, every source outside the
    /// package's targets, and what other commands produced for the package's commands.
    var guarded: [String]
    /// The package's target directories and the files in them, sorted.
    var sourceDirectories: [String]
    var sourceFiles: [String]
    /// Every guarded file and every input and output of `commands` after the last complete build.
    var stamps: [String: FileStamp]

    enum Outcome: Equatable, Sendable {
        /// Nothing changed since the last build.
        case upToDate
        /// These commands ran (by description), all successfully.
        case built([String])
        /// A command failed; its diagnostics went to stderr.
        case failed
        /// Only `swift build` can bring the product up to date, for this reason.
        case needsSwiftPM(String)
    }

    static func file(in root: URL) -> URL {
        root.appendingPathComponent(".build/kratos-quick-build.json")
    }

    /// The plan for building `product` from `manifest` (a debug.yaml that a successful `swift
    /// build` just wrote), or nil when the graph is not one it can follow.
    static func plan(manifest manifestURL: URL, root: URL, product: String, binary: URL) -> QuickBuild? {
        guard let manifest = BuildManifest.read(manifestURL) else { return nil }
        let binaryPath = binary.resolvingSymlinksInPath().path
        guard let link = manifest.commands.values.first(where: { command in
                  command.outputs.contains { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path == binaryPath }
              }),
              let structure = manifest.commands.values.first(where: { $0.tool == "package-structure-tool" })
        else { return nil }
        let directories = structure.inputs.filter { $0.hasSuffix("/") }
        let packageFiles = structure.inputs.filter { !$0.hasSuffix("/") && !$0.hasPrefix("<") }

        var producer: [String: String] = [:]
        for command in manifest.commands.values {
            for output in command.outputs { producer[output] = command.name }
        }
        // Every command the product needs, inputs first (depth-first, post-order).
        var ordered: [BuildManifest.Command] = []
        var visited: Set<String> = []
        var stack: [(name: String, expanded: Bool)] = [(link.name, false)]
        while let entry = stack.popLast() {
            let name = entry.name
            guard let command = manifest.commands[name] else { return nil }
            if entry.expanded {
                ordered.append(command)
                continue
            }
            guard visited.insert(name).inserted else { continue }
            stack.append((name, true))
            for input in command.inputs.reversed() {
                if let source = producer[input], !visited.contains(source) { stack.append((source, false)) }
            }
        }

        let isOwnSource = { (path: String) in directories.contains { path.hasPrefix($0) } }
        var ownOutputs: Set<String> = []
        var own: [BuildManifest.Command] = []
        var guarded = Set(packageFiles + [manifestURL.path])
        for command in ordered {
            let downstream = command.inputs.contains { input in
                producer[input] == nil ? isOwnSource(input) : ownOutputs.contains(input)
            }
            if downstream {
                guard ["shell", "phony", "write-auxiliary-file"].contains(command.tool) else { return nil }
                own.append(command)
                ownOutputs.formUnion(command.outputs)
            }
            for input in command.inputs where !input.hasPrefix("<") && !input.hasSuffix("/") {
                // Sources of dependencies, and what other commands made for the package's own.
                if producer[input] == nil ? !isOwnSource(input) : (downstream && !ownOutputs.contains(input)) {
                    guarded.insert(input)
                }
            }
        }
        guard !own.isEmpty else { return nil }
        var plan = QuickBuild(version: formatVersion, root: root.standardizedFileURL.path, product: product,
                              manifest: manifestURL.path, commands: own, guarded: guarded.sorted(),
                              sourceDirectories: directories, sourceFiles: listFiles(in: directories), stamps: [:])
        plan.stamps = plan.currentStamps()
        return plan
    }

    /// The saved plan for `product` built from `manifest`, if any.
    static func load(in root: URL, product: String, manifest: URL) -> QuickBuild? {
        guard let data = try? Data(contentsOf: file(in: root)),
              let plan = try? JSONDecoder().decode(QuickBuild.self, from: data),
              plan.version == formatVersion, plan.root == root.standardizedFileURL.path,
              plan.product == product, plan.manifest == manifest.path else { return nil }
        return plan
    }

    func save(in root: URL) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        FileSystem.writeCache(data, to: Self.file(in: root))
    }

    /// Forgets the plan (after a failed `swift build`, whose graph may differ).
    static func remove(in root: URL) {
        try? FileManager.default.removeItem(at: file(in: root))
    }

    /// Brings the product up to date by re-running the package's changed commands, each reported
    /// through `progress` before it runs; their output goes to stderr. Saves the new stamps.
    mutating func rebuild(in directory: URL, progress: (String) -> Void) -> Outcome {
        for path in guarded where FileStamp(path: path) != stamps[path] {
            return .needsSwiftPM(Self.reason(for: path, manifest: manifest))
        }
        guard Self.listFiles(in: sourceDirectories) == sourceFiles else {
            return .needsSwiftPM("files were added to or removed from the package's targets")
        }
        var changedVirtual: Set<String> = []
        var ran: [String] = []
        for command in commands {
            let dirty = command.inputs.contains { input in
                input.hasPrefix("<") ? changedVirtual.contains(input) : FileStamp(path: input) != stamps[input]
            } || command.outputs.contains { !$0.hasPrefix("<") && FileStamp(path: $0) == nil }
            guard dirty else { continue }
            switch command.tool {
            case "phony":
                changedVirtual.formUnion(command.outputs)
            case "write-auxiliary-file":
                // Source and link lists: their text is the set of files, which is unchanged here.
                guard command.outputs.allSatisfy({ FileStamp(path: $0) != nil }) else {
                    return .needsSwiftPM("\(command.outputs.first ?? command.name) is missing")
                }
            default:
                progress(command.description)
                guard Self.execute(command, in: directory) else { return .failed }
                ran.append(command.description)
                changedVirtual.formUnion(command.outputs.filter { $0.hasPrefix("<") })
            }
        }
        stamps = currentStamps()
        save(in: URL(fileURLWithPath: root))
        return ran.isEmpty ? .upToDate : .built(ran)
    }

    /// Runs a command's argument vector as llbuild would, with the compiler's diagnostics made
    /// for people (SwiftPM asks for JSON and renders it itself).
    private static func execute(_ command: BuildManifest.Command, in directory: URL) -> Bool {
        guard let executable = command.args.first else { return false }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = command.args.dropFirst().filter { $0 != "-parseable-output" }
        process.currentDirectoryURL = directory
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationReason == .exit && process.terminationStatus == 0
    }

    private func currentStamps() -> [String: FileStamp] {
        var stamps: [String: FileStamp] = [:]
        var paths = Set(guarded)
        for command in commands {
            paths.formUnion(command.inputs)
            paths.formUnion(command.outputs)
        }
        for path in paths where !path.hasPrefix("<") && !path.hasSuffix("/") {
            stamps[path] = FileStamp(path: path)
        }
        return stamps
    }

    /// The regular files below `directories`, sorted; hidden ones skipped, as SwiftPM does.
    private static func listFiles(in directories: [String]) -> [String] {
        var files: [String] = []
        for directory in directories {
            guard let walker = FileManager.default.enumerator(at: URL(fileURLWithPath: directory),
                                                              includingPropertiesForKeys: [.isRegularFileKey],
                                                              options: [.skipsHiddenFiles]) else { continue }
            for case let url as URL in walker where (try? url.resourceValues(forKeys: [.isRegularFileKey]))?.isRegularFile == true {
                files.append(url.path)
            }
        }
        return files.sorted()
    }

    private static func reason(for path: String, manifest: String) -> String {
        let name = URL(fileURLWithPath: path).lastPathComponent
        if path == manifest { return "the build directory was planned again by another build" }
        if name == "Package.swift" || name == "Package.resolved" { return "\(name) changed" }
        return "\(path) changed outside the package's targets"
    }
}
