import Foundation
import Testing

/// A gRPC-only service compiles no HTTP/1 and no TLS: the modules `GRPCOnlyFixture` (generated
/// code on Kratos and KratosGRPC) builds against, read from SwiftPM's build manifest of the build
/// these tests belong to, include neither NIOHTTP1 nor NIOSSL nor anything of swift-nio-http2.
@Suite struct GRPCOnlyModuleGraphTests {
    @Test func theFixtureBuildsWithoutHTTP1OrTLS() throws {
        let graph = try ModuleGraph.ofThisBuild()
        let modules = try graph.closure(of: "GRPCOnlyFixture")
        // Present, so the test cannot pass on a graph read wrong.
        let missing = ["Kratos", "KratosGRPC", "NIOCore", "NIOPosix", "SwiftProtobuf"].filter { !modules.contains($0) }
        #expect(missing.isEmpty, "\(missing) not found among GRPCOnlyFixture's modules: \(modules.sorted())")
        let unwanted = ["NIOHTTP1", "CNIOLLHTTP", "NIOSSL", "CNIOBoringSSL", "NIOHPACK", "NIOHTTP2", "NIOExtras", "KratosHTTP"]
        let found = unwanted.filter(modules.contains)
        #expect(found.isEmpty, "GRPCOnlyFixture builds against \(found)")
    }

    /// JWT is apart: KratosJWT builds on the core and jwt-kit with no NIO and no transport, and
    /// the core and the transports build without jwt-kit or swift-crypto.
    @Test func jwtIsApartFromTheCoreAndTheTransports() throws {
        let graph = try ModuleGraph.ofThisBuild()
        let jwt = try graph.closure(of: "KratosJWT")
        #expect(jwt.contains("Kratos") && jwt.contains("JWTKit") && jwt.contains("Crypto"), "\(jwt.sorted())")
        let unwanted = ["NIOCore", "NIOPosix", "KratosHTTP", "KratosGRPC", "KratosHTTPClient", "KratosNIO"].filter(jwt.contains)
        #expect(unwanted.isEmpty, "KratosJWT builds against \(unwanted)")
        for target in ["Kratos", "KratosHTTP", "KratosGRPC"] {
            let modules = try graph.closure(of: target)
            #expect(!modules.contains("JWTKit") && !modules.contains("Crypto"), "\(target) builds against jwt-kit or swift-crypto")
        }
    }
}

/// Module dependencies as SwiftPM's llbuild manifest (`.build/debug.yaml`) records them: each
/// Swift module's compile command (`C.<Target>-<triple>-debug.module`) lists the modules of its
/// direct dependencies among its inputs (`Modules/<Dep>.swiftmodule`, a C target's objects) and
/// every C module it sees in its arguments (`-fmodule-map-file=`).
struct ModuleGraph {
    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// Each compile command's name → its inputs and arguments.
    let commands: [String: [String]]
    /// What follows a target's name in its command's name, e.g. `-x86_64-unknown-linux-gnu-debug.module`.
    let suffix: String

    /// The manifest of the debug build the running test bundle comes from: the nearest
    /// `debug.yaml` above the bundle's directory.
    static func ofThisBuild() throws -> ModuleGraph {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let products = bundle.deletingLastPathComponent()
        guard products.lastPathComponent == "debug" else {
            throw Missing(description: "the test bundle \(bundle.path) is not in a debug build; the module graph is read from "
                + "SwiftPM's debug manifest (debug.yaml): run these tests from `swift build --build-tests` (debug)")
        }
        var directory = products
        while directory.path != "/" {
            let manifest = directory.appendingPathComponent("debug.yaml")
            if FileManager.default.fileExists(atPath: manifest.path) {
                return try ModuleGraph(manifest: String(contentsOf: manifest, encoding: .utf8), products: products)
            }
            directory = directory.deletingLastPathComponent()
        }
        throw Missing(description: "no debug.yaml above \(products.path): SwiftPM's build manifest is needed to read the "
            + "module graph (it is written by `swift build`)")
    }

    init(manifest: String, products: URL) throws {
        var commands: [String: [String]] = [:]
        var current: String?
        for line in manifest.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("  \"C."), line.hasSuffix("\":") {
                current = String(line.dropFirst(3).dropLast(2))
            } else if let name = current, let list = Self.list(line, key: "inputs") ?? Self.list(line, key: "args") {
                commands[name, default: []] += list
            } else if !line.hasPrefix("    ") {
                current = nil
            }
        }
        guard let fixture = commands.keys.first(where: { $0.hasPrefix("C.GRPCOnlyFixture-") && $0.hasSuffix("-debug.module") }) else {
            throw Missing(description: "the manifest has no command compiling GRPCOnlyFixture")
        }
        let modules = products.appendingPathComponent("Modules").path + "/"
        guard commands[fixture, default: []].contains(where: { $0.hasPrefix(modules) }) else {
            throw Missing(description: "the manifest found is not this build's: its modules are not in \(modules)")
        }
        self.commands = commands
        suffix = String(fixture.dropFirst("C.GRPCOnlyFixture".count))
    }

    private static func list(_ line: Substring, key: String) -> [String]? {
        let prefix = "    \(key): "
        guard line.hasPrefix(prefix) else { return nil }
        return (try? JSONSerialization.jsonObject(with: Data(line.dropFirst(prefix.count).utf8))) as? [String]
    }

    /// Every module `target` builds against, directly or not (itself included).
    func closure(of target: String) throws -> Set<String> {
        guard commands["C.\(target)\(suffix)"] != nil else {
            throw Missing(description: "the manifest has no command compiling \(target)")
        }
        var seen: Set<String> = []
        var pending = [target]
        while let module = pending.popLast() {
            guard seen.insert(module).inserted else { continue }
            for item in commands["C.\(module)\(suffix)"] ?? [] {
                if let dependency = Self.module(named: item), dependency != module { pending.append(dependency) }
            }
        }
        return seen
    }

    /// The module an input or argument names: `…/Modules/X.swiftmodule`, `…/X.build/*.o`, or a
    /// module map (`…/X.build/module.modulemap`, `…/X/include/module.modulemap`, `…/X/module.modulemap`).
    static func module(named item: String) -> String? {
        var path = item
        if path.hasPrefix("-fmodule-map-file=") { path.removeFirst("-fmodule-map-file=".count) }
        let parts = path.split(separator: "/").map(String.init)
        guard parts.count >= 2, let last = parts.last else { return nil }
        if last.hasSuffix(".swiftmodule"), parts[parts.count - 2] == "Modules" { return String(last.dropLast(".swiftmodule".count)) }
        if last == "module.modulemap" {
            let directory = parts[parts.count - 2]
            if directory.hasSuffix(".build") { return String(directory.dropLast(".build".count)) }
            if directory == "include", parts.count >= 3 { return parts[parts.count - 3] }
            return directory
        }
        if last.hasSuffix(".o"), parts[parts.count - 2].hasSuffix(".build") { return String(parts[parts.count - 2].dropLast(".build".count)) }
        return nil
    }
}
