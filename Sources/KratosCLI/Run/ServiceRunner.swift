import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Builds a product and runs it as a child in its own process group, passing signals on.
struct ServiceRunner {
    let root: URL
    let product: String
    let swift: URL
    /// `swift build --scratch-path`, when not the package's own .build.
    let scratchPath: String?
    let arguments: [String]
    let workDirectory: URL
    let terminal: Terminal
    /// Whether rebuilds may skip SwiftPM (``QuickBuild``); `kratos run --full-build` turns it off.
    var quickBuilds = true
    private let binaryPath = LockedBox<URL?>(nil)

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
            usleep(100_000)
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

    /// Brings the product up to date, progress on stderr; whether it succeeded. A ``QuickBuild``
    /// re-runs the package's own changed commands when nothing else moved; otherwise (and with
    /// `--full-build`) `swift build` builds, and a new quick-build plan is taken from its graph.
    private func build() throws -> Bool {
        let started = ContinuousClock.now
        let manifest = URL(fileURLWithPath: scratchPath ?? root.appendingPathComponent(".build").path)
            .appendingPathComponent("debug.yaml")
        if quickBuilds, var plan = QuickBuild.load(in: root, product: product, manifest: manifest) {
            switch plan.rebuild(in: root, progress: { terminal.line($0, to: .stderr) }) {
            case .upToDate:
                return true
            case .built:
                terminal.line("Build of \(product) complete (\(Self.seconds(since: started)), quick build)", to: .stderr)
                return true
            case .failed:
                return false
            case .needsSwiftPM(let reason):
                terminal.line(terminal.styled("swift build: \(reason)", .dim, on: .stderr), to: .stderr)
            }
        }
        let process = Process()
        process.executableURL = swift
        process.arguments = ["build", "--product", product] + scratch
        process.currentDirectoryURL = root
        process.standardOutput = FileHandle.standardError
        process.standardError = FileHandle.standardError
        process.standardInput = FileHandle.nullDevice
        // SwiftPM orders some compiler flags (package traits' defines) by Swift's per-process
        // hash seed: every re-planned build would otherwise recompile swift-protobuf half the time.
        process.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_DETERMINISTIC_HASHING": "1"]) { _, fixed in fixed }
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            QuickBuild.remove(in: root)
            return false
        }
        if quickBuilds {
            if let plan = QuickBuild.plan(manifest: manifest, root: root, product: product, binary: try binary()) {
                plan.save(in: root)
            } else {
                QuickBuild.remove(in: root)
            }
        }
        return true
    }

    private static func seconds(since start: ContinuousClock.Instant) -> String {
        let elapsed = ContinuousClock.now - start
        let milliseconds = elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000
        return String(format: "%.2fs", Double(milliseconds) / 1000)
    }

    /// Where `swift build` puts the product: asked once per Package.swift (it does not move
    /// between rebuilds) and kept in the ``RunCache``.
    private func binary() throws -> URL {
        if let known = binaryPath.get() { return known }
        var cache = RunCache.load(in: root)
        let path: String
        if let cached = cache?.binPaths[scratchPath ?? ""] {
            path = cached
        } else {
            path = try Subprocess.run(swift, ["build", "--show-bin-path"] + scratch, in: root).stdout
                .trimmingCharacters(in: .whitespacesAndNewlines)
            cache?.binPaths[scratchPath ?? ""] = path
            cache?.save(in: root)
        }
        let url = URL(fileURLWithPath: path).appendingPathComponent(product)
        binaryPath.set(url)
        return url
    }

    private var scratch: [String] { scratchPath.map { ["--scratch-path", $0] } ?? [] }

    /// Starts the program in its own process group, so a terminal's Ctrl-C reaches it once, from us.
    private func start() throws -> pid_t {
        let executable = try binary().path
        // posix_spawn's attributes and file actions are structs on glibc, opaque pointers on Darwin.
        #if canImport(Glibc)
        var attributes = posix_spawnattr_t()
        var actions = posix_spawn_file_actions_t()
        #elseif canImport(Darwin)
        var attributes: posix_spawnattr_t?
        var actions: posix_spawn_file_actions_t?
        #endif
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setpgroup(&attributes, 0)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGINT, SIGTERM, SIGQUIT, SIGHUP] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF))
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        _ = addChdir(&actions, workDirectory.path)
        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // Our own environment, passed on as is; Darwin's headers declare no `environ`.
        #if canImport(Glibc)
        let environment = environ
        #elseif canImport(Darwin)
        let environment = _NSGetEnviron().pointee
        #endif
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, argv, environment)
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

#if canImport(Glibc)
/// glibc's `posix_spawn_file_actions_addchdir_np` (2.29+), which the Glibc module does not export
/// (spawn.h declares it only under _GNU_SOURCE).
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32
#elseif canImport(Darwin)
/// Darwin's `posix_spawn_file_actions_addchdir_np` (macOS 10.15+).
private func addChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t?>, _ path: UnsafePointer<CChar>) -> Int32 {
    posix_spawn_file_actions_addchdir_np(actions, path)
}
#endif
