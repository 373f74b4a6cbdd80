import ArgumentParser
import Foundation

/// `kratos upgrade`: builds protoc, the protoc plugins and the CLI from the package graph and
/// installs them into `$KRATOS_HOME/bin`.
struct Upgrade: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Build protoc, the protoc plugins and kratos offline and install them into $KRATOS_HOME/bin.",
        discussion: """
            Everything is built in release mode from the kratos-swift checkout this kratos was built \
            from, with SwiftPM and the package graph alone: protoc (swift-protobuf's), \
            protoc-gen-swift, protoc-gen-kratos-http, protoc-gen-kratos-grpc, \
            protoc-gen-kratos-errors, protoc-gen-kratos-validate, protoc-gen-kratos-openapi and kratos. `kratos proto client` looks in $KRATOS_HOME/bin \
            first, so nothing else needs installing. The first run takes minutes.

            Examples:
              kratos upgrade
              kratos upgrade --source ~/src/kratos-swift
              kratos upgrade --scratch-path /tmp/kratos-release
            """
    )

    @Option(help: "The kratos-swift checkout to build from; default the one kratos was built from.")
    var source: String?

    @Option(help: "The build directory; default the checkout's own .build (shared with its other release builds).")
    var scratchPath: String?

    func run() throws {
        let environment = Environment()
        let root = try source.map(environment.resolve) ?? SourceCheckout.builtFrom()
        try SourceCheckout.validate(root)
        let swift = try Tool.swift.require(in: environment)
        let bin = environment.kratosHome.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        let terminal = environment.terminal
        let start = ContinuousClock.now
        var installed: [(String, String)] = []
        let scratch = scratchPath.map { ["--scratch-path", environment.resolve($0).path] } ?? []
        let built = URL(fileURLWithPath: try Subprocess.run(swift, ["build", "-c", "release", "--show-bin-path"] + scratch, in: root).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines))
        for (index, product) in SourceCheckout.products.enumerated() {
            let step = "[\(index + 1)/\(SourceCheckout.products.count)] \(product)"
            terminal.write(terminal.stderrIsTTY ? "\r\u{1B}[K\(step): building…" : "\(step): building\n", to: .stderr)
            let productStart = ContinuousClock.now
            var arguments = ["build", "-c", "release", "--product", product] + scratch
            if product == "kratos" { arguments.append("--static-swift-stdlib") }
            let build = try Subprocess.run(swift, arguments, in: root)
            guard build.status == 0 else {
                terminal.write(terminal.stderrIsTTY ? "\n" : "", to: .stderr)
                let tail = (build.stdout + build.stderr).split(separator: "\n").suffix(15).joined(separator: "\n")
                throw CLIError.failure("building \(product) failed:\n\(tail)", fix: "run `swift build -c release --product \(product)` in \(root.path) to see the whole log")
            }
            try Self.install(built.appendingPathComponent(product), into: bin)
            let seconds = Double((ContinuousClock.now - productStart).components.seconds)
            terminal.write(terminal.stderrIsTTY ? "\r\u{1B}[K\(step): done in \(Int(seconds)) s\n" : "\(step): installed (\(Int(seconds)) s)\n", to: .stderr)
            installed.append((product, Doctor.version(of: bin.appendingPathComponent(product)) ?? "installed"))
        }
        let total = (ContinuousClock.now - start).components.seconds
        terminal.line("Installed into \(bin.path) in \(total) s:")
        for (product, version) in installed {
            terminal.line("  \(product.padding(toLength: 26, withPad: " ", startingAt: 0)) \(version)")
        }
    }

    /// Copies `binary` into `directory` through a temporary name, then renames it into place.
    static func install(_ binary: URL, into directory: URL) throws {
        let fm = FileManager.default
        let temporary = directory.appendingPathComponent(".\(binary.lastPathComponent).new-\(UUID().uuidString.prefix(8))")
        defer { try? fm.removeItem(at: temporary) }
        try fm.copyItem(at: binary, to: temporary)
        try fm.setAttributes([.posixPermissions: 0o755], ofItemAtPath: temporary.path)
        guard rename(temporary.path, directory.appendingPathComponent(binary.lastPathComponent).path) == 0 else {
            throw CLIError.failure("cannot install \(binary.lastPathComponent) into \(directory.path)", fix: "check that the directory is writable")
        }
    }
}
