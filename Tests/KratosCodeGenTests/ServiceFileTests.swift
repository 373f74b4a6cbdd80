import Foundation
import KratosCodeGen
import KratosTestSupport
import Testing

/// The shared `<proto>.kratos.swift` (operations and service protocols): written by
/// protoc-gen-kratos-http and protoc-gen-kratos-grpc alike, importing no transport, so a service
/// served over gRPC alone compiles no HTTP.
@Suite struct ServiceFileTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let protos = root.appendingPathComponent("Tests/KratosTestSupport/Protos")
    static let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    static let services = ["kratos/test/v1/greeter.proto", "kratos/test/v1/library.proto"]

    /// Runs protoc once with `plugins` (name without `protoc-gen-`, options), all writing into one
    /// directory; returns the files written there, by name.
    static func protoc(_ plugins: [(name: String, options: String)], files: [String] = services,
                       root: URL = protos) async throws -> (status: Int32, stderr: String, files: [String: String]) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-shared-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        var arguments = ["-I", root.path, "-I", Self.root.appendingPathComponent("Templates/service/third_party").path]
        for (name, options) in plugins {
            arguments += ["--plugin=protoc-gen-\(name)=\(bin.appendingPathComponent("protoc-gen-\(name)").path)",
                          "--\(name)_out=\(out.path)", "--\(name)_opt=FileNaming=PathToUnderscores,Visibility=Public" + options]
        }
        let run = try await runProcess("/usr/bin/protoc", arguments + files.map { root.appendingPathComponent($0).path })
        var written: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? [] {
            written[name] = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
        }
        return (run.status, String(decoding: run.stderr, as: UTF8.self), written)
    }

    /// The modules `source` imports, in order.
    static func imports(_ source: String) -> [String] {
        source.split(separator: "\n").filter { $0.hasPrefix("import ") }.map { String($0.dropFirst("import ".count)) }
    }

    @Test func theGRPCPluginAloneWritesAnAPIWithoutHTTP() async throws {
        let run = try await Self.protoc([("kratos-grpc", "")])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Set(run.files.keys) == ["kratos_test_v1_greeter.kratos.swift", "kratos_test_v1_greeter.kratos-grpc.swift",
                                        "kratos_test_v1_library.kratos.swift", "kratos_test_v1_library.kratos-grpc.swift"])
        for (name, text) in run.files {
            #expect(!text.contains("KratosHTTP") && !text.contains("KratosHTTPServer"), "\(name) needs the HTTP transport")
        }
        for proto in ["greeter", "library"] {
            let shared = try #require(run.files["kratos_test_v1_\(proto).kratos.swift"])
            #expect(Self.imports(shared) == ["Kratos"], "the shared file imports Kratos alone (no well-known types here)")
            #expect(shared.hasPrefix("// DO NOT EDIT.\n"))
            let grpc = try #require(run.files["kratos_test_v1_\(proto).kratos-grpc.swift"])
            #expect(Self.imports(grpc) == ["Kratos", "KratosGRPC", "SwiftProtobuf"])
            // The protocol and the operations are declared once, in the shared file.
            #expect(!grpc.contains("protocol ") && !grpc.contains("enum "))
        }
        let greeter = try #require(run.files["kratos_test_v1_greeter.kratos.swift"])
        #expect(greeter.contains("public protocol Kratos_Test_V1_GreeterService: Sendable {"))
        #expect(greeter.contains("public static let chat = \"/kratos.test.v1.Greeter/Chat\""))
    }

    @Test func theHTTPPluginAloneWritesTheSameSharedFile() async throws {
        let http = try await Self.protoc([("kratos-http", "")])
        let grpc = try await Self.protoc([("kratos-grpc", "")])
        #expect(http.status == 0 && grpc.status == 0, "\(http.stderr)\(grpc.stderr)")
        for name in ["kratos_test_v1_greeter.kratos.swift", "kratos_test_v1_library.kratos.swift"] {
            let text = try #require(http.files[name])
            #expect(text == grpc.files[name])
            let transport = try #require(http.files[name.replacingOccurrences(of: ".kratos.swift", with: ".http.swift")])
            #expect(!transport.contains("protocol "))
        }
    }

    @Test func bothPluginsWriteOneCopyWhenOneIsToldNotTo() async throws {
        // protoc refuses a file two plugins write into one directory …
        let clash = try await Self.protoc([("kratos-http", ""), ("kratos-grpc", "")])
        #expect(clash.status != 0)
        #expect(clash.stderr.contains("kratos_test_v1_greeter.kratos.swift: Tried to write the same file twice"))
        // … so one of them gets Shared=false, and the one copy is the committed one.
        let combinations: [[(name: String, options: String)]] = [
            [("kratos-http", ""), ("kratos-grpc", ",Shared=false")],
            [("kratos-http", ",Shared=false"), ("kratos-grpc", "")],
        ]
        for plugins in combinations {
            let run = try await Self.protoc(plugins)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(run.files.keys.filter { $0.hasSuffix(".kratos.swift") }.sorted() == ["kratos_test_v1_greeter.kratos.swift", "kratos_test_v1_library.kratos.swift"])
            #expect(run.files.count == 6)
            for name in ["kratos_test_v1_greeter.kratos.swift", "kratos_test_v1_library.kratos.swift"] {
                let golden = try String(contentsOf: Self.root.appendingPathComponent("Tests/KratosTestSupport/Generated/\(name)"), encoding: .utf8)
                #expect(run.files[name] == golden, "\(name) differs: regenerate with Scripts/generate-protos")
            }
        }
        let bad = try await Self.protoc([("kratos-grpc", ",Shared=maybe")])
        #expect(bad.status != 0 && bad.stderr.contains("Shared takes true or false"))
    }

    /// The gRPC-only fixture (Tests/GRPCOnlyFixture): its committed code is what the gRPC plugin
    /// alone writes; a well-known type in a signature brings the SwiftProtobuf import.
    @Test func theGRPCOnlyFixtureMatchesItsCommittedCode() async throws {
        let fixture = Self.root.appendingPathComponent("Tests/GRPCOnlyFixture")
        let run = try await Self.protoc([("kratos-grpc", "")], files: ["fixture/v1/counter.proto"], root: fixture.appendingPathComponent("Protos"))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Set(run.files.keys) == ["fixture_v1_counter.kratos.swift", "fixture_v1_counter.kratos-grpc.swift"])
        for (name, text) in run.files {
            let golden = try String(contentsOf: fixture.appendingPathComponent("Generated/\(name)"), encoding: .utf8)
            #expect(text == golden, "\(name) differs: regenerate with Scripts/generate-protos")
        }
        let shared = try #require(run.files["fixture_v1_counter.kratos.swift"])
        #expect(Self.imports(shared) == ["Kratos", "SwiftProtobuf"])
        // Nothing the fixture compiles needs HTTP.
        let sources = try FileManager.default.subpathsOfDirectory(atPath: fixture.path).filter { $0.hasSuffix(".swift") }
        #expect(sources.count >= 4)
        for path in sources {
            let text = try String(contentsOf: fixture.appendingPathComponent(path), encoding: .utf8)
            #expect(!Self.imports(text).contains { $0.hasPrefix("KratosHTTP") }, "\(path) imports the HTTP transport")
        }
    }
}
