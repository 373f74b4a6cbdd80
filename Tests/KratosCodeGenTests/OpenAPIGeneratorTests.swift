import Foundation
@testable import KratosCodeGen
import KratosTestSupport
import Testing

/// protoc-gen-kratos-openapi run by the real protoc: one document for all the files, the
/// committed golden files (the test protos' and the template's), YAML and JSON alike.
@Suite struct OpenAPIGeneratorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let plugin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("protoc-gen-kratos-openapi")
    static let thirdParty = root.appendingPathComponent("Templates/service/third_party").path

    /// protoc with the plugin on `files` under `include`; the files it wrote.
    func generate(_ files: [String], in include: String, options: String = "") async throws -> (status: Int32, stderr: String, files: [String: String]) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-openapi-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await runProcess("/usr/bin/protoc", [
            "--plugin=protoc-gen-kratos-openapi=\(Self.plugin.path)", "--kratos-openapi_out=\(out.path)", "--kratos-openapi_opt=\(options)",
            "-I", include, "-I", Self.thirdParty,
        ] + files.map { include + "/" + $0 })
        var written: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? [] {
            written[name] = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
        }
        return (run.status, String(decoding: run.stderr, as: UTF8.self), written)
    }

    static var testProtos: [String] {
        let protos = root.appendingPathComponent("Tests/KratosTestSupport/Protos").path
        let walker = FileManager.default.enumerator(atPath: protos)
        return (walker?.compactMap { $0 as? String }.filter { $0.hasSuffix(".proto") } ?? []).sorted()
    }

    @Test func outputMatchesTheCommittedGoldenFiles() async throws {
        let protos = Self.root.appendingPathComponent("Tests/KratosTestSupport/Protos").path
        let run = try await generate(Self.testProtos, in: protos)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Set(run.files.keys) == ["openapi.yaml"])
        let golden = try String(contentsOf: Self.root.appendingPathComponent("Tests/KratosTestSupport/Generated/openapi.yaml"), encoding: .utf8)
        #expect(run.files["openapi.yaml"] == golden, "regenerate with Scripts/generate-protos")

        let api = Self.root.appendingPathComponent("Templates/service/api").path
        let template = try await generate(["helloworld/v1/error_reason.proto", "helloworld/v1/greeter.proto"], in: api)
        let committed = try String(contentsOf: Self.root.appendingPathComponent("Templates/service/Sources/API/openapi.yaml"), encoding: .utf8)
        #expect(template.files["openapi.yaml"] == committed, "regenerate with Scripts/generate-protos")
    }

    /// What the document says about the bindings, schemas, errors and rules of the test protos.
    @Test func describesTheBindingsAsTheHTTPPluginRoutesThem() async throws {
        let protos = Self.root.appendingPathComponent("Tests/KratosTestSupport/Protos").path
        let run = try await generate(Self.testProtos, in: protos, options: "Format=json,Title=Test API,Version=1.2.3")
        #expect(run.status == 0, "\(run.stderr)")
        let text = try #require(run.files["openapi.json"])
        let document = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        let info = try #require(document["info"] as? [String: Any])
        #expect(info["title"] as? String == "Test API" && info["version"] as? String == "1.2.3")
        let paths = try #require(document["paths"] as? [String: [String: [String: Any]]])
        // {name=shelves/*/books/*} as {name} with a pattern; the other fields as query.
        let getBook = try #require(paths["/v1/{name}"]?["get"])
        #expect(getBook["operationId"] as? String == "Shelf_GetBook")
        let parameters = try #require(getBook["parameters"] as? [[String: Any]])
        #expect(parameters.map { $0["name"] as? String } == ["name", "view", "version"])
        #expect((parameters[0]["schema"] as? [String: Any])?["pattern"] as? String == "^shelves/[^/]+/books/[^/]+$")
        // Additional bindings, dotted variables, a body field, body "*", the default route.
        #expect(paths["/v1/books"]?["get"]?["operationId"] as? String == "Shelf_ListBooks_1")
        #expect(paths["/v1/shelves/{shelf}/books/{book.id}"]?["patch"]?["requestBody"] != nil)
        #expect(paths["/v1/shelves/{shelf}/books"]?["post"]?["requestBody"] != nil)
        #expect(paths["/kratos.test.v1.Shelf/Ping"]?["post"]?["operationId"] as? String == "Shelf_Ping")
        // Custom verbs OpenAPI cannot name, and client streams, are left out.
        #expect(paths["/v1/books/{id}:publish"] == nil)
        #expect(paths.values.flatMap(\.values).allSatisfy { ($0["operationId"] as? String) != "Greeter_Gather" })
        // A server stream with a rule: Server-Sent Events whose events carry the reply.
        let spell = try #require(paths.values.flatMap(\.values).first { ($0["operationId"] as? String) == "Greeter_Spell" })
        let ok = try #require((spell["responses"] as? [String: Any])?["200"] as? [String: Any])
        let events = try #require((ok["content"] as? [String: Any])?["text/event-stream"] as? [String: Any])
        #expect((events["x-kratos-event"] as? [String: Any])?["$ref"] as? String == "#/components/schemas/kratos.test.v1.HelloReply")
        #expect((events["schema"] as? [String: Any])?["type"] as? String == "string")
        // google.api.HttpBody in and out: raw bodies of any content type, not the message.
        let operations = paths.values.flatMap(\.values)
        let upload = try #require(operations.first { ($0["operationId"] as? String) == "Files_Upload" })
        let raw = try #require(((upload["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["*/*"] as? [String: Any])
        #expect((raw["schema"] as? [String: Any])?["format"] as? String == "binary")
        let download = try #require(operations.first { ($0["operationId"] as? String) == "Files_Download" })
        let downloaded = ((download["responses"] as? [String: Any])?["200"] as? [String: Any])?["content"] as? [String: Any]
        #expect(downloaded?.keys.sorted() == ["*/*"])
        #expect(!text.contains("google.api.HttpBody\""))
        // response_body: the field alone.
        #expect(text.contains(##""$ref": "#/components/schemas/kratos.test.v1.Book""##))

        let schemas = try #require((document["components"] as? [String: Any])?["schemas"] as? [String: [String: Any]])
        let everything = try #require(schemas["kratos.test.v1.Everything"]?["properties"] as? [String: [String: Any]])
        // protojson reads null as a field's default: fields whose rules allow it are nullable.
        #expect(everything["big"]?["type"] as? [String] == ["string", "integer", "null"] && everything["big"]?["format"] as? String == "int64")
        #expect(everything["numberOne"] != nil && everything["no_one"] == nil)
        #expect(everything["at"]?["format"] as? String == "date-time")
        #expect((everything["page"]?["anyOf"] as? [[String: Any]])?.first?["$ref"] as? String == "#/components/schemas/kratos.test.v1.Everything.Page")
        #expect((everything["labels"]?["additionalProperties"] as? [String: Any])?["type"] as? String == "string")
        #expect((everything["color"]?["enum"] as? [Any])?.compactMap { $0 as? String } == ["COLOR_UNSPECIFIED", "RED", "GREEN"])
        let register = try #require(schemas["kratos.test.v1.RegisterRequest"])
        #expect(register["required"] as? [String] == ["age", "email", "name"])
        let name = try #require((register["properties"] as? [String: [String: Any]])?["name"])
        #expect(name["minLength"] as? Int == 1 && name["maxLength"] as? Int == 64 && name["type"] as? String == "string")
        let registerBody = try #require(paths["/v1/accounts"]?["post"]?["requestBody"] as? [String: Any])
        #expect(registerBody["required"] as? Bool == true)
        let reason = try #require((schemas["kratos.Error"]?["properties"] as? [String: [String: Any]])?["reason"])
        let declared = try #require((reason["anyOf"] as? [[String: Any]])?.first?["enum"] as? [String])
        #expect(declared == ["BOOK_TAKEN", "CONTENT_MISSING", "LIBRARY_CLOSED", "UNKNOWN_ERROR", "USER_NOT_FOUND"])
    }

    @Test func badOptionsFailNamingTheCause() async throws {
        let protos = Self.root.appendingPathComponent("Tests/KratosTestSupport/Protos").path
        let run = try await generate(["kratos/test/v1/greeter.proto"], in: protos, options: "Format=xml")
        #expect(run.status != 0)
        #expect(run.stderr.contains("Format takes yaml or json"))
    }
}

/// The document's YAML and JSON writers: what YAML could read as something else is quoted, and
/// both texts read back (by PyYAML and Python's json) as the same value.
@Suite struct DocumentNodeTests {
    @Test func yamlAndJSONReadBackAsTheSameValue() async throws {
        let tricky = ["yes", "No", "null", "~", "1.0", "0x1F", "-", "- a", "a: b", "a #b", "#c", "@d", "'e'", "\"f\"", "g\nh", " lead", "trail ",
                      "two  spaces", "{x}", "[y]", "*z", "&w", "!v", "%u", "|t", ">s", "?", ",r", "", "é", "tab\there", "\u{1}", "/helloworld/{name}"]
        let node = DocumentNode.object([
            "strings": .array(tricky.map(DocumentNode.string)),
            "keys": .object(Dictionary(uniqueKeysWithValues: tricky.map { ($0, DocumentNode.bool(true)) })),
            "numbers": .array([.integer("18446744073709551615"), .integer("-9223372036854775808"), .number(0.25), .number(3.4028235e38), .number(2)]),
            "empty": .object(["list": .array([]), "map": .object([:]), "null": .null]),
            "nested": .array([.array([.string("a")]), .object(["k": .array([.object(["x": .integer(1)])])])]),
        ])
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-node-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try node.yaml().write(to: directory.appendingPathComponent("d.yaml"), atomically: true, encoding: .utf8)
        try node.json().write(to: directory.appendingPathComponent("d.json"), atomically: true, encoding: .utf8)
        let script = """
            import json, sys, yaml
            a = yaml.safe_load(open(sys.argv[1] + "/d.yaml", encoding="utf-8"))
            b = json.load(open(sys.argv[1] + "/d.json", encoding="utf-8"))
            print("same" if a == b else "differ")
            print(json.dumps(a["strings"]))
            """
        let run = try await runProcess("/usr/bin/env", ["python3", "-c", script, directory.path])
        let output = String(decoding: run.stdout + run.stderr, as: UTF8.self)
        #expect(run.status == 0 && output.hasPrefix("same\n"), "\(output)\n\(node.yaml())")
        // Sorted keys, every time.
        #expect(node.yaml() == node.yaml() && node.json().contains("\"empty\": {\n    \"list\": [],"))
    }
}
