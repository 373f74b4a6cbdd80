import ArgumentParser
import Foundation

/// `kratos run [DIR] [-- args]`: builds and runs the package's executable.
struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build and run the service's executable, forwarding arguments and signals.",
        discussion: """
            The package is found from DIR (default: the current directory), climbing up to 5 parents \
            to a Package.swift; its executable products come from `swift package describe`. With \
            several, --product picks one (on a terminal you are asked). The build's progress goes to \
            stderr; the program runs in the work directory (-w, default the package root) with the \
            arguments after --. Ctrl-C and SIGTERM are passed on so the service stops gracefully, \
            and its exit status is kratos's. --watch rebuilds and restarts on every change under \
            Sources/, configs/ or Package.swift; a failed build keeps the running version. After an \
            edit of the package's own sources, kratos re-runs the compile and link commands of the \
            last `swift build` whose inputs changed, without SwiftPM's second of planning; anything \
            else (Package.swift, dependencies, files added or removed) goes through `swift build`, \
            as does every build with --full-build.

            Examples:
              kratos run
              kratos run --watch
              kratos run ../helloworld -- -conf ./configs
              kratos run --product admin -w /srv/admin
            """
    )

    @Argument(help: ArgumentHelp("A directory inside the package.", valueName: "dir"))
    var directory: String?

    @Option(name: [.short, .customLong("work")], help: "The directory the program runs in; default the package root.")
    var work: String?

    @Option(help: "The executable product to run, when the package has several.")
    var product: String?

    @Flag(help: "Rebuild and restart on source changes.")
    var watch = false

    @Flag(help: "Always build with `swift build`, not kratos's quick rebuild of the package's own modules.")
    var fullBuild = false

    @Option(help: ArgumentHelp("The build directory, as `swift build --scratch-path`; default the package's .build.",
                               valueName: "dir"))
    var scratchPath: String?

    @Argument(parsing: .postTerminator, help: ArgumentHelp("Arguments for the program, after --.", valueName: "args"))
    var arguments: [String] = []

    func run() throws {
        let environment = Environment()
        let start = directory.map(environment.resolve) ?? environment.currentDirectory
        guard let root = ProjectRoot.find(from: start) else {
            throw CLIError.usage("no Package.swift in \(start.path) or its 5 parents", fix: "run kratos run inside a Swift package, or pass its directory")
        }
        let swift = try Tool.swift.require(in: environment)
        let executable = try Self.chooseProduct(product, in: root, swift: swift, terminal: environment.terminal)
        var runner = ServiceRunner(root: root, product: executable, swift: swift,
                                   scratchPath: scratchPath.map { environment.resolve($0).path }, arguments: arguments,
                                   workDirectory: work.map(environment.resolve) ?? root, terminal: environment.terminal)
        runner.quickBuilds = !fullBuild
        let status = try watch ? runner.watch() : runner.runOnce()
        if status != 0 { throw ExitCode(status) }
    }

    /// The executable product to run: `requested`, the only one, or the one picked on a terminal.
    static func chooseProduct(_ requested: String?, in root: URL, swift: URL, terminal: Terminal) throws -> String {
        let products = try executables(in: root, swift: swift)
        if let requested {
            guard products.contains(requested) else {
                throw CLIError.usage("\(root.path) has no executable product \(requested)",
                                     fix: "choose one of: \(products.joined(separator: ", "))")
            }
            return requested
        }
        switch products.count {
        case 0:
            throw CLIError.usage("\(root.path) has no executable product", fix: "add an .executable product or executableTarget to Package.swift")
        case 1:
            return products[0]
        default:
            guard terminal.stdinIsTTY else {
                throw CLIError.usage("\(root.path) has several executables: \(products.joined(separator: ", "))",
                                     fix: "pick one with --product NAME")
            }
            for (index, name) in products.enumerated() { terminal.line("  \(index + 1)) \(name)") }
            terminal.write("Which one? ")
            guard let answer = readLine(), let index = Int(answer), products.indices.contains(index - 1) else {
                throw CLIError.usage("no executable chosen", fix: "pick one with --product NAME")
            }
            return products[index - 1]
        }
    }

    /// The executable products of the package, from `swift package describe --type json` (or
    /// the ``RunCache`` of an unchanged Package.swift).
    static func executables(in root: URL, swift: URL) throws -> [String] {
        if let cached = RunCache.load(in: root) { return cached.executables }
        let stamp = RunCache.manifestStamp(in: root)
        let executables = try describeExecutables(in: root, swift: swift)
        RunCache(root: root.standardizedFileURL.path, manifest: stamp, executables: executables).save(in: root)
        return executables
    }

    private static func describeExecutables(in root: URL, swift: URL) throws -> [String] {
        let described = try Subprocess.run(swift, ["package", "describe", "--type", "json"], in: root)
        guard described.status == 0, let start = described.stdout.firstIndex(of: "{"),
              let object = try? JSONSerialization.jsonObject(with: Data(described.stdout[start...].utf8)) as? [String: Any] else {
            throw CLIError.failure("cannot read the package at \(root.path):\n\(described.stderr)", fix: "check that `swift package describe` works there")
        }
        let products = (object["products"] as? [[String: Any]] ?? []).filter { product in
            (product["type"] as? [String: Any])?["executable"] != nil
        }.compactMap { $0["name"] as? String }
        // Executable targets without a product of their own are products of the same name.
        let targets = (object["targets"] as? [[String: Any]] ?? []).filter { $0["type"] as? String == "executable" }
            .compactMap { $0["name"] as? String }
        return Set(products + targets).sorted()
    }
}
