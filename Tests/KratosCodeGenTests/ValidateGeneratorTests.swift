import Foundation
import KratosTestSupport
import Testing

/// protoc-gen-kratos-validate run by the real protoc: its output is the committed code (compiled
/// in KratosTestSupport and the template), and every rule it cannot honour fails generation
/// naming the file, the field and the rule.
@Suite struct ValidateGeneratorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let thirdParty = root.appendingPathComponent("Templates/service/third_party").path
    static let plugin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("protoc-gen-kratos-validate")

    /// protoc with the plugin on `files` under `include`; the files it wrote.
    func generate(_ files: [String], in include: String, options: String) async throws -> (status: Int32, stderr: String, files: [String: String]) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-validate-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await runProcess("/usr/bin/protoc", [
            "--plugin=protoc-gen-kratos-validate=\(Self.plugin.path)", "--kratos-validate_out=\(out.path)", "--kratos-validate_opt=\(options)",
            "-I", include, "-I", Self.thirdParty,
        ] + files.map { include + "/" + $0 })
        var written: [String: String] = [:]
        for case let name as String in FileManager.default.enumerator(atPath: out.path) ?? .init() where name.hasSuffix(".swift") {
            written[name] = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
        }
        return (run.status, String(decoding: run.stderr, as: UTF8.self), written)
    }

    @Test func outputMatchesTheCommittedGoldenFiles() async throws {
        let protos = Self.root.appendingPathComponent("Tests/KratosTestSupport/Protos").path
        let run = try await generate(["kratos/test/v1/rules.proto", "kratos/test/v1/accounts.proto", "kratos/test/v1/test.proto"],
                                     in: protos, options: "Visibility=Public,FileNaming=PathToUnderscores")
        #expect(run.status == 0, "\(run.stderr)")
        // test.proto has no rules: no file.
        #expect(Set(run.files.keys) == ["kratos_test_v1_rules.validate.swift", "kratos_test_v1_accounts.validate.swift"])
        for (name, text) in run.files {
            let golden = try String(contentsOf: Self.root.appendingPathComponent("Tests/KratosTestSupport/Generated/\(name)"), encoding: .utf8)
            #expect(text == golden, "\(name) differs: regenerate with Scripts/generate-protos")
        }
        let text = try #require(run.files["kratos_test_v1_rules.validate.swift"])
        #expect(!text.contains("Kratos_Test_V1_Plain:") && text.contains("extension Kratos_Test_V1_Holder: Validatable"))
    }

    /// The template's committed API code, as `kratos proto client api` writes it.
    @Test func theTemplatesCodeIsCurrent() async throws {
        let api = Self.root.appendingPathComponent("Templates/service/api").path
        let run = try await generate(["helloworld/v1/greeter.proto", "helloworld/v1/error_reason.proto"], in: api, options: "Visibility=Public,FileNaming=FullPath")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Set(run.files.keys) == ["helloworld/v1/greeter.validate.swift"])
        let golden = try String(contentsOf: Self.root.appendingPathComponent("Templates/service/Sources/API/helloworld/v1/greeter.validate.swift"), encoding: .utf8)
        #expect(run.files["helloworld/v1/greeter.validate.swift"] == golden, "regenerate with Scripts/generate-protos")
    }

    @Test(arguments: [
        (#"string f = 1 [(buf.validate.field).cel = {id: "x", expression: "this != ''"}];"#, "bad.v1.M.f: rule field.cel: CEL expressions are not supported"),
        (#"string f = 1 [(buf.validate.field).cel_expression = "this != ''"];"#, "bad.v1.M.f: rule field.cel_expression: CEL expressions are not supported"),
        (#"option (buf.validate.message).cel = {id: "m", expression: "true"}; string f = 1;"#, "bad.v1.M: rule message.cel: CEL expressions are not supported"),
        ("string f = 1 [(buf.validate.field).string.uri_ref = true];", "bad.v1.M.f: rule string.uri_ref: protoc-gen-kratos-validate does not support it"),
        ("string f = 1 [(buf.validate.field).string.well_known_regex = KNOWN_REGEX_HTTP_HEADER_NAME];", "bad.v1.M.f: rule string.well_known_regex:"),
        ("string f = 1 [(buf.validate.field).string = {min_len: 1, host_and_port: true}];", "bad.v1.M.f: rule string.host_and_port:"),
        ("google.protobuf.FieldMask f = 1 [(buf.validate.field).field_mask.in = \"a\"];", "bad.v1.M.f: rule field.field_mask:"),
        ("string f = 1 [(buf.validate.field).int32.gt = 1];", "bad.v1.M.f: rule field.int32: int32 rules do not apply to a value of type string"),
        ("google.protobuf.Timestamp f = 1 [(buf.validate.field).duration.gt = {}];", "bad.v1.M.f: rule field.duration: duration rules apply to google.protobuf.Duration values only"),
        ("repeated string f = 1 [(buf.validate.field).string.min_len = 1];", "bad.v1.M.f: rule field.string: a repeated field takes repeated rules"),
        ("repeated M f = 1 [(buf.validate.field).repeated.unique = true];", "bad.v1.M.f: rule repeated.unique: items must be scalars, enums, strings or bytes"),
        (#"string f = 1 [(buf.validate.field).string.pattern = "("];"#, #"bad.v1.M.f: rule string.pattern: the pattern "(" does not compile"#),
        (#"string f = 1 [(buf.validate.field).string.pattern = "a(?=b)"];"#, #"the pattern "a(?=b)" is refused: (?= is not RE2"#),
        (#"string f = 1 [(buf.validate.field).string.pattern = "(a)\\1"];"#, "backreferences"),
        (#"option (buf.validate.message).oneof = {fields: ["f", "nope"]}; string f = 1;"#, "bad.v1.M: rule message.oneof: bad.v1.M has no field nope"),
        ("map<string, string> f = 1 [(buf.validate.field).repeated.min_items = 1];", "bad.v1.M.f: rule field.repeated: a map field takes map rules"),
    ])
    func unsupportedRulesFailGeneration(field: String, error: String) async throws {
        let proto = """
            syntax = "proto3";
            package bad.v1;
            import "buf/validate/validate.proto";
            import "google/protobuf/duration.proto";
            import "google/protobuf/field_mask.proto";
            import "google/protobuf/timestamp.proto";
            message M { \(field) }
            """
        let run = try await generateAlone(proto)
        #expect(run.status != 0)
        #expect(run.stderr.contains("bad/v1/bad.proto: \(error)") || run.stderr.contains(error), "\(run.stderr)")
        #expect(run.stderr.contains("bad/v1/bad.proto"), "\(run.stderr)")
    }

    /// A predefined rule (an extension of a rules message, with its CEL) is refused too.
    @Test func predefinedRulesFailGeneration() async throws {
        let run = try await generateAlone("""
            syntax = "proto2";
            package bad.v1;
            import "buf/validate/validate.proto";
            extend buf.validate.StringRules { optional bool is_kratos = 1161 [(buf.validate.predefined).cel = {id: "k", expression: "this == 'kratos'"}]; }
            message M { optional string f = 1 [(buf.validate.field).string.(is_kratos) = true]; }
            """)
        #expect(run.status != 0)
        #expect(run.stderr.contains("bad/v1/bad.proto: bad.v1.M.f: rule string extension 1161: predefined rules are not supported"), "\(run.stderr)")
    }

    /// RE2's one-letter Unicode classes become Swift's braced ones; the message keeps the original.
    @Test func re2PatternsAreTranslated() async throws {
        let run = try await generateAlone(#"""
            syntax = "proto3";
            package bad.v1;
            import "buf/validate/validate.proto";
            message M { string f = 1 [(buf.validate.field).string.pattern = "^\\pL+\\PN\\p{Greek}$"]; }
            """#)
        #expect(run.status == 0, "\(run.stderr)")
        let text = try #require(run.files["bad/v1/bad.validate.swift"])
        #expect(text.contains(#"private let validationPattern0 = Validation.Pattern("^\\p{L}+\\P{N}\\p{Greek}$")"#), "\(text)")
        #expect(text.contains(#"does not match regex pattern `^\\pL+\\PN\\p{Greek}$`"#), "\(text)")
    }

    @Test func badOptionsFailNamingTheOption() async throws {
        let protos = Self.root.appendingPathComponent("Tests/KratosTestSupport/Protos").path
        let run = try await generate(["kratos/test/v1/accounts.proto"], in: protos, options: "Bogus=1")
        #expect(run.status != 0)
        #expect(run.stderr.contains("unknown option Bogus"))
    }

    /// Runs the plugin on `proto` written as bad/v1/bad.proto in a directory of its own.
    private func generateAlone(_ proto: String) async throws -> (status: Int32, stderr: String, files: [String: String]) {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("bad/v1"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try proto.write(to: dir.appendingPathComponent("bad/v1/bad.proto"), atomically: true, encoding: .utf8)
        return try await generate(["bad/v1/bad.proto"], in: dir.path, options: "Visibility=Public")
    }
}
