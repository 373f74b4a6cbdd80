import Foundation
import Kratos
import KratosCodeGen
import KratosTestSupport
import Testing

/// protoc-gen-kratos-errors, run by the real protoc, and the code it generated (committed in
/// KratosTestSupport and compiled there).
@Suite struct ErrorsGeneratorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let protos = root.appendingPathComponent("Tests/KratosTestSupport/Protos")

    /// The plugin built alongside the tests.
    static var plugin: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("protoc-gen-kratos-errors")
    }

    func protoc(_ options: String, into out: URL) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/protoc")
        process.currentDirectoryURL = Self.protos
        process.arguments = ["--plugin=protoc-gen-kratos-errors=\(Self.plugin.path)", "--kratos-errors_out=\(out.path)",
                             "--kratos-errors_opt=\(options)", "-I", ".", "-I", Self.root.appendingPathComponent("Templates/service/third_party").path,
                             "kratos/test/v1/errors.proto", "kratos/test/v1/test.proto"]
        let errors = Pipe()
        process.standardError = errors
        try process.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func outputMatchesTheCommittedGoldenFile() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-errors-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try protoc("Visibility=Public,FileNaming=PathToUnderscores", into: out)
        #expect(run.status == 0, "\(run.stderr)")
        // One file: test.proto declares no error enums, so it gets none.
        #expect(try FileManager.default.contentsOfDirectory(atPath: out.path) == ["kratos_test_v1_errors.errors.swift"])
        let generated = try String(contentsOf: out.appendingPathComponent("kratos_test_v1_errors.errors.swift"), encoding: .utf8)
        let golden = try String(contentsOf: Self.root.appendingPathComponent("Tests/KratosTestSupport/Generated/kratos_test_v1_errors.errors.swift"), encoding: .utf8)
        #expect(generated == golden, "regenerate with Scripts/generate-protos")
        #expect(!generated.contains("Shade") && !generated.contains("BookPlain") && !generated.contains("BookErrorUnspecified"))
    }

    @Test func badOptionsFailNamingTheOption() throws {
        let out = FileManager.default.temporaryDirectory
        let run = try protoc("Bogus=1", into: out)
        #expect(run.status != 0)
        #expect(run.stderr.contains("unknown option Bogus"))
    }

    @Test(arguments: [
        (GeneratorOptions.FileNaming.fullPath, "a/b/c.errors.swift"),
        (.pathToUnderscores, "a_b_c.errors.swift"),
        (.dropPath, "c.errors.swift"),
    ])
    func fileNaming(naming: GeneratorOptions.FileNaming, name: String) {
        var options = GeneratorOptions()
        options.fileNaming = naming
        #expect(options.outputName(for: "a/b/c.proto", suffix: ".errors.swift") == name)
    }

    @Test func generatedConstructorsAndChecks() {
        let error = Kratos_Test_V1_ErrorReason.errorUserNotFound("user 7 not found", metadata: ["id": "7"])
        #expect(error.code == 404 && error.reason == "USER_NOT_FOUND" && error.message == "user 7 not found" && error.metadata == ["id": "7"])
        #expect(Kratos_Test_V1_ErrorReason.isUserNotFound(error))
        #expect(!Kratos_Test_V1_ErrorReason.isContentMissing(error))
        #expect(!Kratos_Test_V1_ErrorReason.isUserNotFound(KratosError(code: 500, reason: "USER_NOT_FOUND", message: "")))
        #expect(Kratos_Test_V1_ErrorReason.errorUnknownError("x").code == 500)
        #expect(Kratos_Test_V1_BookError.errorBookTaken("taken").code == 409)
        #expect(Kratos_Test_V1_Library.Failure.errorLibraryClosed("closed").code == 503)
        struct Plain: Error {}
        #expect(!Kratos_Test_V1_ErrorReason.isUnknownError(Plain()))
    }
}
