import Foundation
import Testing
@testable import KratosCLI

/// `kratos run` asks `swift package describe` once per Package.swift and remembers the answer.
@Suite struct RunCacheTests {
    func manifest(executables: [String]) -> String {
        """
        // swift-tools-version:6.0
        import PackageDescription
        let package = Package(name: "tiny", targets: [\(executables.map { ".executableTarget(name: \"\($0)\")" }.joined(separator: ", "))])
        """
    }

    @Test func executablesAreDescribedOnceAndAgainWhenPackageSwiftChanges() throws {
        let sandbox = try Sandbox()
        let root = sandbox.work
        for name in ["one", "two"] {
            try sandbox.write("print(\"\(name)\")\n", to: root.appendingPathComponent("Sources/\(name)/main.swift"))
        }
        try sandbox.write(manifest(executables: ["one"]), to: root.appendingPathComponent("Package.swift"))
        let swift = try Tool.swift.require(in: Environment())
        #expect(RunCache.load(in: root) == nil)
        #expect(try Run.executables(in: root, swift: swift) == ["one"])
        let cached = RunCache.load(in: root)
        #expect(cached?.executables == ["one"])

        // The answer comes from the cache: a made-up list in it is believed while Package.swift stays.
        RunCache(root: root.standardizedFileURL.path, manifest: RunCache.manifestStamp(in: root), executables: ["remembered"])
            .save(in: root)
        #expect(try Run.executables(in: root, swift: swift) == ["remembered"])

        // A project moved or copied with its .build (the stamp travels along) is asked again.
        RunCache(root: "/somewhere/else", manifest: RunCache.manifestStamp(in: root), executables: ["elsewhere"]).save(in: root)
        #expect(try Run.executables(in: root, swift: swift) == ["one"])

        // A changed Package.swift is described again.
        try sandbox.write(manifest(executables: ["one", "two"]), to: root.appendingPathComponent("Package.swift"))
        #expect(try Run.executables(in: root, swift: swift) == ["one", "two"])
        #expect(RunCache.load(in: root)?.executables == ["one", "two"])
    }
}
