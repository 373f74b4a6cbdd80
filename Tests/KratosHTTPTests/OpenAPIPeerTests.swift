import Foundation
import Kratos
import KratosHTTP
import KratosTestSupport
import Testing

/// The generated documents and the Swagger UI endpoint against real, independent tools:
/// openapi-spec-validator reads the documents, schemathesis fuzzes the service from its
/// document, and a headless Chromium uses the Swagger UI page as a person would.
@Suite(.serialized) struct OpenAPIPeerTests {

    /// The test protos' document and the template's, both written by protoc-gen-kratos-openapi.
    @Test func documentsAreValidOpenAPI31() async throws {
        let documents = [OpenAPIFixture.documentURL.path,
                         OpenAPIFixture.root.appendingPathComponent("Templates/service/Sources/API/openapi.yaml").path]
        let run = try await runProcess("/usr/bin/env", ["python3", "-m", "openapi_spec_validator"] + documents)
        let output = String(decoding: run.stdout + run.stderr, as: UTF8.self)
        #expect(run.status == 0, "\(output)")
        for document in documents { #expect(output.contains("\(document): OK"), "\(output)") }
    }

    /// schemathesis generates requests from the document (valid ones and invalid ones) and checks
    /// every reply: no 5xx, status codes, content types and bodies as documented, invalid input
    /// refused and valid input accepted. The mirror of every field kind skips the check that
    /// invalid input is refused: protojson reads more than it writes (enums by number, numbers
    /// in strings), which the document, describing the canonical form, does not list.
    /// Shelf's UpdateBook is left out: schemathesis fills paths with Python's `str.format`, which
    /// reads the dotted variable `{book.id}` (valid OpenAPI, as the HTTP rule names it) as an
    /// attribute; HTTPGeneratorTests drive that route.
    @Test(arguments: [("^(Greeter|Accounts|Shelf)$", 5 + 11, ["--exclude-path-regex", "\\{book\\.id\\}"]),
                      ("^Mirror$", 2, ["--exclude-checks", "negative_data_rejection"])])
    func schemathesisFindsNothingWrong(tags: String, operations: Int, options: [String]) async throws {
        try await withServer(try OpenAPIFixture.server(ui: nil)) { endpoint in
            let started = ContinuousClock.now
            // In a scratch directory: schemathesis and hypothesis leave caches where they run.
            let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-schemathesis-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: scratch) }
            let run = try await runProcess("/usr/bin/env", [
                "-C", scratch.path, "schemathesis", "run", endpoint + "/q/openapi.json", "--url", endpoint,
                "--checks", "all", "--include-tag-regex", tags,
                // Not the stateful phase: it chains operations by links it infers (Register's
                // `name` into Lookup's path), which the document does not declare.
                "--phases", "examples,coverage,fuzzing",
                "--max-examples", "50", "--seed", "1", "--generation-database", "none", "--workers", "1",
                "--no-color", "--warnings", "off", "--request-timeout", "5",
            ] + options)
            let output = String(decoding: run.stdout + run.stderr, as: UTF8.self)
            #expect(run.status == 0, "\(output)")
            #expect(output.contains("Tested: \(operations)"), "\(output)")
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }

    /// Swagger UI with the assets of the `swagger-ui-bundle` wheel, in headless Chromium: the
    /// greeter operation shows (and a screenshot is taken), and "Try it out" on SayHello gets the
    /// greeting from the server.
    @Test func swaggerUITriesSayHelloInChromium() async throws {
        let dist = try await OpenAPIFixture.swaggerUIDirectory()
        try await withServer(try OpenAPIFixture.server(ui: .init(assets: .directory(dist)))) { endpoint in
            let started = ContinuousClock.now
            let screenshot = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-swagger-\(UUID().uuidString).png")
            defer { try? FileManager.default.removeItem(at: screenshot) }
            let run = try await runProcess("/usr/bin/env", [
                "python3", OpenAPIFixture.python.appendingPathComponent("swagger_ui.py").path, endpoint + "/q/swagger-ui",
                screenshot.path, "Greeter", "Greeter_SayHello", "name", "kratos",
            ])
            let output = String(decoding: run.stdout, as: UTF8.self)
            #expect(run.status == 0, "\(output)\(String(decoding: run.stderr, as: UTF8.self))")
            let line = try #require(output.split(separator: "\n").last.map(String.init))
            let result = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            #expect(result["shown"] as? Bool == true)
            let body = try #require(result["body"] as? String)
            #expect(body.contains(#""message": "Hello kratos""#) || body.contains(#""message":"Hello kratos""#), "\(body)")

            // A real PNG of the rendered page, not a blank one.
            let png = try Data(contentsOf: screenshot)
            #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
            #expect(png.count > 20_000, "\(png.count) bytes")
            #expect(ContinuousClock.now - started < .seconds(60))
        }
    }
}
