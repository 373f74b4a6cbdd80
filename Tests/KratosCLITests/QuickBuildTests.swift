import Foundation
import Testing
@testable import KratosCLI

/// `kratos run`'s quick build over a command graph in SwiftPM's llbuild format, whose commands are
/// real shell commands: what re-runs after each kind of change, and when only `swift build` will do.
@Suite struct QuickBuildTests {
    /// A package `pkg` with one target directory, a dependency `dep` outside it, and a graph:
    /// dep.o ← dep/x.txt; app.o + App.iface ← Sources/App/a.swift (the interface is its first line,
    /// rewritten only when it differs, as swiftc leaves an unchanged .swiftmodule alone);
    /// main.o ← App.iface; bin/app ← app.o + main.o + dep.o. Every command logs its name.
    struct Graph {
        let sandbox: Sandbox
        var root: URL { sandbox.work.appendingPathComponent("pkg") }
        var build: URL { sandbox.work.appendingPathComponent("build") }
        var manifest: URL { build.appendingPathComponent("debug.yaml") }
        var binary: URL { build.appendingPathComponent("bin/app") }
        var source: URL { root.appendingPathComponent("Sources/App/a.swift") }
        var dependency: URL { sandbox.work.appendingPathComponent("dep/x.txt") }

        init() throws {
            sandbox = try Sandbox()
            try sandbox.write("// swift-tools-version:6.0\n", to: root.appendingPathComponent("Package.swift"))
            try sandbox.write("dependency\n", to: dependency)
            try write(source, "interface 1\nbody 1\n")
            try FileManager.default.createDirectory(at: build.appendingPathComponent("bin"), withIntermediateDirectories: true)
            try sandbox.write(yaml(), to: manifest)
            // The first build, as `swift build` would have run it.
            for command in commands() where command.tool == "shell" { try runShell(command) }
            try sandbox.write(source.path + "\n", to: build.appendingPathComponent("App.sources"))
        }

        func path(_ name: String) -> String { build.appendingPathComponent(name).path }

        func commands() -> [BuildManifest.Command] {
            let log = path("log")
            func shell(_ name: String, _ inputs: [String], _ outputs: [String], _ script: String) -> BuildManifest.Command {
                .init(name: name, tool: "shell", inputs: inputs, outputs: outputs,
                      args: ["/bin/sh", "-c", "echo \(name) >> \(log); " + script], description: "Run \(name)")
            }
            return [
                .init(name: "PackageStructure", tool: "package-structure-tool",
                      inputs: [root.appendingPathComponent("Sources/App").path + "/", root.appendingPathComponent("Package.swift").path],
                      outputs: ["<PackageStructure>"], args: [], description: "Planning build"),
                .init(name: path("App.sources"), tool: "write-auxiliary-file", inputs: ["<sources-file-list>", source.path],
                      outputs: [path("App.sources")], args: [], description: "Write sources"),
                shell("Dep", [dependency.path], [path("dep.o")], "cp \(dependency.path) \(path("dep.o"))"),
                shell("App", [source.path, path("App.sources"), path("dep.o")], [path("app.o"), path("App.iface")], """
                    grep -q FAIL \(source.path) && exit 1; cp \(source.path) \(path("app.o")); head -n1 \(source.path) > \(path("iface.new")); \
                    cmp -s \(path("iface.new")) \(path("App.iface")) || mv \(path("iface.new")) \(path("App.iface"))
                    """),
                shell("Main", [path("App.iface")], [path("main.o")], "cp \(path("App.iface")) \(path("main.o"))"),
                shell("Link", [path("app.o"), path("main.o"), path("dep.o")], [binary.path],
                      "cat \(path("app.o")) \(path("main.o")) \(path("dep.o")) > \(binary.path)"),
            ]
        }

        /// The graph as SwiftPM writes debug.yaml: one key per line, JSON strings and lists.
        func yaml() throws -> String {
            func json<T: Encodable>(_ value: T) throws -> String {
                let encoder = JSONEncoder()
                encoder.outputFormatting = .withoutEscapingSlashes
                return String(decoding: try encoder.encode(value), as: UTF8.self)
            }
            var text = "client:\n  name: basic\ntools: {}\ntargets:\n  \"main\": [\"<main>\"]\ncommands:\n"
            for command in commands() {
                text += "  \(try json(command.name)):\n    tool: \(command.tool)\n"
                text += "    inputs: \(try json(command.inputs))\n    outputs: \(try json(command.outputs))\n"
                text += "    description: \(try json(command.description))\n"
                if !command.args.isEmpty { text += "    args: \(try json(command.args))\n" }
                text += "\n"
            }
            return text
        }

        func runShell(_ command: BuildManifest.Command) throws {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: command.args[0])
            process.arguments = Array(command.args.dropFirst())
            try process.run()
            process.waitUntilExit()
        }

        /// Writes through a new file, as editors and `swift build` outputs do.
        func write(_ url: URL, _ text: String) throws {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }

        func plan() throws -> QuickBuild {
            try #require(QuickBuild.plan(manifest: manifest, root: root, product: "app", binary: binary))
        }

        /// Rebuilds with a freshly loaded plan; the outcome and the commands that ran.
        func rebuild() throws -> (QuickBuild.Outcome, [String]) {
            var plan = try #require(QuickBuild.load(in: root, product: "app", manifest: manifest))
            try? FileManager.default.removeItem(atPath: path("log"))
            let outcome = plan.rebuild(in: root) { _ in }
            let log = (try? String(contentsOfFile: path("log"), encoding: .utf8)) ?? ""
            return (outcome, log.split(separator: "\n").map(String.init))
        }
    }

    @Test func planKeepsThePackagesOwnCommandsInOrderAndGuardsTheRest() throws {
        let graph = try Graph()
        let plan = try graph.plan()
        #expect(plan.commands.map(\.name) == [graph.path("App.sources"), "App", "Main", "Link"])
        for guarded in [graph.dependency.path, graph.path("dep.o"), graph.root.appendingPathComponent("Package.swift").path,
                        graph.manifest.path] {
            #expect(plan.guarded.contains(guarded), "\(guarded) is not guarded")
        }
        #expect(!plan.guarded.contains(graph.source.path))
        #expect(plan.sourceFiles == [graph.source.path])
    }

    @Test func reRunsExactlyTheCommandsWhoseInputsChanged() throws {
        let graph = try Graph()
        try graph.plan().save(in: graph.root)
        #expect(try graph.rebuild() == (.upToDate, []))

        // The body changes, the interface does not: the wave stops before Main.
        try graph.write(graph.source, "interface 1\nbody 2\n")
        #expect(try graph.rebuild() == (.built(["Run App", "Run Link"]), ["App", "Link"]))
        #expect(try String(contentsOf: graph.binary, encoding: .utf8) == "interface 1\nbody 2\ninterface 1\ndependency\n")
        #expect(try graph.rebuild() == (.upToDate, []))

        // The interface changes: everything downstream of it runs.
        try graph.write(graph.source, "interface 2\nbody 2\n")
        #expect(try graph.rebuild() == (.built(["Run App", "Run Main", "Run Link"]), ["App", "Main", "Link"]))
        #expect(try String(contentsOf: graph.binary, encoding: .utf8) == "interface 2\nbody 2\ninterface 2\ndependency\n")

        // A missing product is linked again, nothing else.
        try FileManager.default.removeItem(at: graph.binary)
        #expect(try graph.rebuild() == (.built(["Run Link"]), ["Link"]))
    }

    @Test func aFailedCommandIsRunAgainNextTime() throws {
        let graph = try Graph()
        try graph.plan().save(in: graph.root)
        try graph.write(graph.source, "interface 1\nFAIL\n")
        #expect(try graph.rebuild() == (.failed, ["App"]))
        #expect(try graph.rebuild() == (.failed, ["App"]))
        try graph.write(graph.source, "interface 1\nfixed\n")
        #expect(try graph.rebuild() == (.built(["Run App", "Run Link"]), ["App", "Link"]))
    }

    @Test func anythingButTheTargetsSourcesNeedsSwiftPM() throws {
        let graph = try Graph()
        let plan = try graph.plan()

        plan.save(in: graph.root)
        try graph.write(graph.dependency, "dependency 2\n")
        guard case .needsSwiftPM(let dependencyReason) = try graph.rebuild().0 else { Issue.record("dependency change built"); return }
        #expect(dependencyReason.contains(graph.dependency.path))
        try graph.write(graph.dependency, "dependency\n")
        try graph.runShell(graph.commands()[2])

        try graph.plan().save(in: graph.root)
        try graph.write(graph.root.appendingPathComponent("Sources/App/b.swift"), "let b = 1\n")
        #expect(try graph.rebuild().0 == .needsSwiftPM("files were added to or removed from the package's targets"))
        try FileManager.default.removeItem(at: graph.root.appendingPathComponent("Sources/App/b.swift"))

        try graph.plan().save(in: graph.root)
        try graph.write(graph.root.appendingPathComponent("Package.swift"), "// swift-tools-version:6.1\n")
        #expect(try graph.rebuild().0 == .needsSwiftPM("Package.swift changed"))

        try graph.plan().save(in: graph.root)
        try graph.write(graph.manifest, try graph.yaml())
        #expect(try graph.rebuild().0 == .needsSwiftPM("the build directory was planned again by another build"))
    }

    @Test func aPlanIsOnlyUsedForItsPackageProductAndManifest() throws {
        let graph = try Graph()
        try graph.plan().save(in: graph.root)
        #expect(QuickBuild.load(in: graph.root, product: "app", manifest: graph.manifest) != nil)
        #expect(QuickBuild.load(in: graph.root, product: "other", manifest: graph.manifest) == nil)
        #expect(QuickBuild.load(in: graph.root, product: "app", manifest: graph.build.appendingPathComponent("release.yaml")) == nil)
        // A graph without the product, or in a shape it cannot read, gives no plan.
        #expect(QuickBuild.plan(manifest: graph.manifest, root: graph.root, product: "app",
                                binary: graph.build.appendingPathComponent("bin/other")) == nil)
        try graph.sandbox.write("commands:\n  \"x\":\n    tool: shell\n    inputs: [unquoted]\n", to: graph.manifest)
        #expect(QuickBuild.plan(manifest: graph.manifest, root: graph.root, product: "app", binary: graph.binary) == nil)
    }
}
