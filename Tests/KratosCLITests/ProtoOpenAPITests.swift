import Foundation
import Testing
@testable import KratosCLI

/// `kratos proto client --openapi`: one document for every proto of the run, where asked.
@Suite struct ProtoOpenAPITests {
    @Test func writesOneDocumentForAllTheProtos() throws {
        let sandbox = try ProtoCommandTests.toolSandbox()
        try FileManager.default.createDirectory(at: sandbox.work.appendingPathComponent("Sources/API"), withIntermediateDirectories: true)
        try "// swift-tools-version:6.0\n".write(to: sandbox.work.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        #expect(try sandbox.kratos("proto", "add", "api/shop/v1/cart.proto").status == 0)
        #expect(try sandbox.kratos("proto", "add", "api/shop/v1/order.proto").status == 0)

        // The layout `kratos new` makes: Sources/API/openapi.yaml.
        let generated = try sandbox.kratos("proto", "client", "api", "--openapi")
        #expect(generated.status == 0, "\(generated.stderr)")
        let yaml = try String(contentsOf: sandbox.work.appendingPathComponent("Sources/API/openapi.yaml"), encoding: .utf8)
        #expect(generated.stdout.contains("OpenAPI: ") && generated.stdout.contains("Sources/API/openapi.yaml"), "\(generated.stdout)")
        #expect(yaml.contains("openapi: \"3.1.0\""))
        #expect(yaml.contains("operationId: Cart_CreateCart") && yaml.contains("operationId: Order_CreateOrder"))

        // A path of one's own, JSON by its extension; --dry-run writes nothing.
        let dry = try sandbox.kratos("proto", "client", "api", "--openapi-path", "docs/api.json", "--dry-run")
        #expect(dry.status == 0 && dry.stdout.contains("--kratos-openapi_opt=Format=json"), "\(dry.stdout)\(dry.stderr)")
        #expect(!FileManager.default.fileExists(atPath: sandbox.work.appendingPathComponent("docs/api.json").path))
        let json = try sandbox.kratos("proto", "client", "api", "--openapi-path", "docs/api.json")
        #expect(json.status == 0, "\(json.stderr)")
        let data = try Data(contentsOf: sandbox.work.appendingPathComponent("docs/api.json"))
        let document = try JSONSerialization.jsonObject(with: data) as? [String: Any]
        #expect(document?["openapi"] as? String == "3.1.0")

        // Without the plugin: a clear error naming it and the fix.
        try FileManager.default.removeItem(at: sandbox.kratosHome.appendingPathComponent("bin/protoc-gen-kratos-openapi"))
        let missing = try sandbox.kratos("proto", "client", "api", "--openapi")
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("protoc-gen-kratos-openapi was not found") && missing.stderr.contains("kratos upgrade"), "\(missing.stderr)")
    }
}
