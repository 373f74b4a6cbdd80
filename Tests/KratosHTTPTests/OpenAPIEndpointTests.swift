import Foundation
import Kratos
import KratosHTTP
import KratosTestSupport
import Testing

/// A template-like service for the OpenAPI tests: the greeter (`GET /helloworld/{name}`), the
/// accounts service with validation rules and a mirror of every field kind, behind recovery and
/// validation as in the template.
struct OpenAPIGreeter: Kratos_Test_V1_GreeterService {
    func sayHello(_ request: Kratos_Test_V1_HelloRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        .with { $0.message = "Hello \(request.name)" }
    }

    func spell(_ request: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {}

    func gather(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        .init()
    }

    func chat(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, writer: MessageWriter<Kratos_Test_V1_HelloReply>,
              context: RequestContext) async throws {}
}

struct OpenAPIAccounts: Kratos_Test_V1_AccountsService {
    func register(_ request: Kratos_Test_V1_RegisterRequest, context: RequestContext) async throws -> Kratos_Test_V1_AccountReply {
        .with { $0.id = "id-\(request.name)"; $0.name = request.name }
    }

    func lookup(_ request: Kratos_Test_V1_LookupRequest, context: RequestContext) async throws -> Kratos_Test_V1_AccountReply {
        .with { $0.id = "id-\(request.name)"; $0.name = request.name }
    }
}

/// Every field kind there and back (kratos.test.v1.Everything), through the query and the body.
struct OpenAPIMirror: Kratos_Test_V1_MirrorService {
    func echo(_ request: Kratos_Test_V1_Everything, context: RequestContext) async throws -> Kratos_Test_V1_Everything { request }
    func echoBody(_ request: Kratos_Test_V1_Everything, context: RequestContext) async throws -> Kratos_Test_V1_Everything { request }
}

enum OpenAPIFixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// The document protoc-gen-kratos-openapi wrote for the test protos (a golden file).
    static let documentURL = root.appendingPathComponent("Tests/KratosTestSupport/Generated/openapi.yaml")
    static let python = root.appendingPathComponent("Tests/KratosHTTPTests/Python")

    static func document() throws -> String {
        try String(contentsOf: documentURL, encoding: .utf8)
    }

    /// The greeter and accounts on a loopback server with the document and Swagger UI mounted.
    static func server(ui: SwaggerUI? = SwaggerUI()) throws -> KratosHTTPServer {
        let server = loopbackServer(middleware: [Recovery(), ValidateMiddleware()])
        try OpenAPIGreeter().register(on: server)
        try OpenAPIAccounts().register(on: server)
        try OpenAPIMirror().register(on: server)
        try OpenAPIShelf().register(on: server)
        try server.serveOpenAPI(document: try document(), ui: ui)
        return server
    }

    /// The `dist` directory of swagger-ui from the `swagger-ui-bundle` wheel (Scripts/bootstrap
    /// installs it; installed here when missing).
    static func swaggerUIDirectory() async throws -> String {
        let find = ["python3", "-c", "import swagger_ui_bundle; print(swagger_ui_bundle.swagger_ui_path)"]
        var run = try await runProcess("/usr/bin/env", find)
        if run.status != 0 {
            _ = try await runProcess("/usr/bin/env", ["python3", "-m", "pip", "install", "-q", "swagger-ui-bundle-v2"])
            run = try await runProcess("/usr/bin/env", find)
        }
        let path = String(decoding: run.stdout, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard run.status == 0, !path.isEmpty else {
            throw ProcessFailure(description: "swagger_ui_bundle not found: \(String(decoding: run.stderr, as: UTF8.self))")
        }
        return path
    }
}

/// `serveOpenAPI`: the document as YAML and JSON, the Swagger UI page with CDN or local assets,
/// and only the known asset files served (no path reaches the file system).
@Suite struct OpenAPIEndpointTests {
    @Test func servesTheDocumentAsYAMLAndJSON() async throws {
        try await withServer(try OpenAPIFixture.server()) { endpoint in
            let yaml = try await curl(endpoint + "/q/openapi.yaml")
            #expect(yaml.status == 200 && yaml.headers["content-type"] == "application/yaml; charset=utf-8")
            #expect(yaml.text == (try OpenAPIFixture.document()))
            let json = try await curl(endpoint + "/q/openapi.json")
            #expect(json.status == 200 && json.headers["content-type"] == "application/json")
            let object = try json.json()
            #expect(object["openapi"] as? String == "3.1.0")
            let paths = try #require(object["paths"] as? [String: Any])
            #expect(paths["/helloworld/{name}"] != nil)

            // The page loads the JSON next to it, and its assets from the CDN by default.
            let page = try await curl(endpoint + "/q/swagger-ui")
            #expect(page.status == 200 && page.headers["content-type"] == "text/html; charset=utf-8")
            #expect(page.text.contains(#"url: "openapi.json""#))
            #expect(page.text.contains(#"src="\#(SwaggerUI.defaultCDN)/swagger-ui-bundle.js""#))
            // CDN assets: nothing is served locally.
            #expect(try await curl(endpoint + "/q/swagger-ui/assets/swagger-ui.css").status == 404)
        }
    }

    @Test func servesLocalAssetsAndNothingElse() async throws {
        let dist = try await OpenAPIFixture.swaggerUIDirectory()
        let ui = SwaggerUI(assets: .directory(dist), title: "Greeter <API>")
        try await withServer(try OpenAPIFixture.server(ui: ui)) { endpoint in
            let page = try await curl(endpoint + "/q/swagger-ui")
            #expect(page.text.contains(#"src="swagger-ui/assets/swagger-ui-bundle.js""#))
            #expect(page.text.contains("<title>Greeter &lt;API&gt;</title>"))
            let script = try await curl(endpoint + "/q/swagger-ui/assets/swagger-ui-bundle.js")
            #expect(script.status == 200 && script.headers["content-type"] == "text/javascript; charset=utf-8")
            #expect(script.body == FileManager.default.contents(atPath: dist + "/swagger-ui-bundle.js"))
            #expect(try await curl(endpoint + "/q/swagger-ui/assets/swagger-ui.css").headers["content-type"] == "text/css; charset=utf-8")
            // Files of the directory the page does not use, and every way out of it, are 404.
            for path in ["index.html", "..%2F..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "..", "swagger-ui.css%00.js"] {
                let reply = try await curl("--path-as-is", endpoint + "/q/swagger-ui/assets/" + path)
                #expect(reply.status == 404, "\(path)")
                #expect(!reply.text.contains("root:"), "\(path)")
            }
            let escape = try await curl("--path-as-is", endpoint + "/q/swagger-ui/assets/../../../../etc/passwd")
            #expect(escape.status == 404 && !escape.text.contains("root:"))
        }
    }

    @Test func refusesWhatItCannotServe() throws {
        let server = loopbackServer()
        #expect(throws: (any Error).self) { try server.serveOpenAPI(document: "- a list\n- not a document\n") }
        #expect(throws: (any Error).self) { try server.serveOpenAPI(document: "openapi: 3.1.0\n", ui: .init(assets: .directory("/nonexistent"))) }
    }
}
