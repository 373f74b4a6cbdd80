import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

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
            Sources/, configs/ or Package.swift; a failed build keeps the running version.

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
        let runner = ServiceRunner(root: root, product: executable, swift: swift, arguments: arguments,
                                   workDirectory: work.map(environment.resolve) ?? root, terminal: environment.terminal)
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

    /// The executable products of the package, from `swift package describe --type json`.
    static func executables(in root: URL, swift: URL) throws -> [String] {
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

/// Builds a product and runs it as a child in its own process group, passing signals on.
struct ServiceRunner {
    let root: URL
    let product: String
    let swift: URL
    let arguments: [String]
    let workDirectory: URL
    let terminal: Terminal
    private let binaryPath = Box<URL?>(nil)

    /// Builds, runs once, returns the program's exit status.
    func runOnce() throws -> Int32 {
        guard try build() else { throw CLIError.failure("building \(product) failed", fix: "fix the errors above and run again") }
        let signals = SignalForwarder()
        let child = try start()
        signals.target = child
        return wait(child)
    }

    /// Runs, and rebuilds and restarts on source changes until a signal stops it.
    func watch() throws -> Int32 {
        let signals = SignalForwarder()
        var child: pid_t? = try build() ? try start() : nil
        signals.target = child
        var snapshot = sourcesSnapshot()
        while true {
            if signals.received != 0 {
                if let child { return wait(child) }
                return 128 + signals.received
            }
            if let running = child, let status = exited(running) {
                terminal.warn("\(product) exited with status \(status); waiting for changes")
                child = nil
                signals.target = nil
            }
            usleep(300_000)
            let current = sourcesSnapshot()
            guard current != snapshot else { continue }
            snapshot = current
            terminal.line(terminal.styled("change detected: rebuilding \(product)", .cyan), to: .stderr)
            guard try build() else {
                terminal.warn("build failed; \(child == nil ? "nothing is running" : "the previous version keeps running")")
                continue
            }
            if let running = child {
                signals.target = nil
                kill(running, SIGTERM)
                _ = wait(running, grace: 10)
            }
            child = try start()
            signals.target = child
        }
    }

    /// `swift build --product`, progress on stderr; whether it succeeded.
    private func build() throws -> Bool {
        let process = Process()
        process.executableURL = swift
        process.arguments = ["build", "--product", product]
        process.currentDirectoryURL = root
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    /// Where `swift build` puts the product (asked once; it does not move between rebuilds).
    private func binary() throws -> URL {
        if let known = binaryPath.value { return known }
        let path = try Subprocess.run(swift, ["build", "--show-bin-path"], in: root).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let url = URL(fileURLWithPath: path).appendingPathComponent(product)
        binaryPath.value = url
        return url
    }

    /// Starts the program in its own process group, so a terminal's Ctrl-C reaches it once, from us.
    private func start() throws -> pid_t {
        let executable = try binary().path
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGQUIT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        _ = addChdir(&actions, workDirectory.path)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        guard result == 0 else {
            throw CLIError.failure("cannot start \(executable): \(String(cString: strerror(result)))")
        }
        terminal.line(terminal.styled("running \(product) (pid \(pid)) in \(workDirectory.path)", .cyan), to: .stderr)
        return pid
    }

    /// The exit status of `pid` if it has ended (128 + signal when killed), without blocking.
    private func exited(_ pid: pid_t) -> Int32? {
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return nil }
        return Self.exitStatus(status)
    }

    /// Waits for `pid`; after `grace` seconds (if given) it is killed.
    private func wait(_ pid: pid_t, grace: Int? = nil) -> Int32 {
        let deadline = grace.map { Date().addingTimeInterval(TimeInterval($0)) }
        while true {
            if let status = exited(pid) { return status }
            if let deadline, Date() > deadline { kill(pid, SIGKILL) }
            usleep(20_000)
        }
    }

    private static func exitStatus(_ status: Int32) -> Int32 {
        let signal = status & 0x7F
        return signal == 0 ? (status >> 8) & 0xFF : 128 + signal
    }

    /// A fingerprint of the watched files: paths with modification times and sizes.
    private func sourcesSnapshot() -> [String: Date] {
        var snapshot: [String: Date] = [:]
        let fm = FileManager.default
        for name in ["Sources", "configs"] {
            let directory = root.appendingPathComponent(name)
            guard let walker = fm.enumerator(at: directory, includingPropertiesForKeys: [.contentModificationDateKey, .fileSizeKey],
                                             options: [.skipsHiddenFiles]) else { continue }
            for case let url as URL in walker {
                let values = try? url.resourceValues(forKeys: [.contentModificationDateKey, .fileSizeKey])
                snapshot[url.path] = (values?.contentModificationDate ?? .distantPast).addingTimeInterval(Double(values?.fileSize ?? 0) / 1e9)
            }
        }
        let manifest = root.appendingPathComponent("Package.swift")
        snapshot[manifest.path] = (try? manifest.resourceValues(forKeys: [.contentModificationDateKey]))?.contentModificationDate
        return snapshot
    }
}

/// A value remembered by a struct used from one thread.
private final class Box<Value> {
    var value: Value
    init(_ value: Value) { self.value = value }
}

/// Catches SIGINT, SIGTERM, SIGQUIT and SIGHUP and passes each on to the running child.
final class SignalForwarder: @unchecked Sendable {
    private let lock = NSLock()
    private var child: pid_t?
    private var last: Int32 = 0
    private var sources: [any DispatchSourceSignal] = []

    var target: pid_t? {
        get { lock.withLock { child } }
        set { lock.withLock { child = newValue } }
    }

    /// The last signal received, 0 when none.
    var received: Int32 { lock.withLock { last } }

    init() {
        for signal in [SIGINT, SIGTERM, SIGQUIT, SIGHUP] {
            Glibc.signal(signal, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: signal, queue: .global())
            source.setEventHandler { [weak self] in self?.forward(signal) }
            source.resume()
            sources.append(source)
        }
    }

    private func forward(_ signal: Int32) {
        let pid: pid_t? = lock.withLock {
            last = signal
            return child
        }
        if let pid { kill(pid, signal) }
    }
}

/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which the Glibc module does not export.
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
