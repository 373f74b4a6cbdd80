import Foundation
import Kratos
import KratosCodeGen
import KratosHTTP
import KratosHTTPClient
import KratosTestSupport
import Synchronization
import Testing

/// Echoes what each route bound, so a test sees path variables, query and body land in the
/// right fields.
struct EchoShelf: Kratos_Test_V1_ShelfService {
    func getBook(_ request: Kratos_Test_V1_GetBookRequest, context: RequestContext) async throws -> Kratos_Test_V1_Book {
        .with {
            $0.id = request.name
            $0.title = "view=\(request.view)"
            $0.pages = request.version
        }
    }

    func listBooks(_ request: Kratos_Test_V1_ListBooksRequest, context: RequestContext) async throws -> Kratos_Test_V1_ListBooksReply {
        .with {
            $0.shelf = request.shelf
            $0.pageSize = request.pageSize
            $0.tags = request.tags
        }
    }

    func createBook(_ request: Kratos_Test_V1_CreateBookRequest, context: RequestContext) async throws -> Kratos_Test_V1_Book {
        var book = request.book
        book.id = "\(request.shelf)/\(book.id)"
        return book
    }

    func updateBook(_ request: Kratos_Test_V1_UpdateBookRequest, context: RequestContext) async throws -> Kratos_Test_V1_Book {
        var book = request.book
        book.title += " on \(request.shelf) validate=\(request.validateOnly)"
        return book
    }

    func deleteBook(_ request: Kratos_Test_V1_GetBookRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        .with { $0.message = "deleted \(request.name) version=\(request.version)" }
    }

    func putBook(_ request: Kratos_Test_V1_Book, context: RequestContext) async throws -> Kratos_Test_V1_Book {
        request
    }

    func publishBook(_ request: Kratos_Test_V1_PublishRequest, context: RequestContext) async throws -> Kratos_Test_V1_PublishReply {
        .with {
            $0.book = .with { $0.id = request.id; $0.title = "notify=\(request.notify)" }
            $0.note = "not in the body"
        }
    }

    func listTitles(_ request: Kratos_Test_V1_ListBooksRequest, context: RequestContext) async throws -> Kratos_Test_V1_TitlesReply {
        titles(request)
    }

    func countBooks(_ request: Kratos_Test_V1_ListBooksRequest, context: RequestContext) async throws -> Kratos_Test_V1_TitlesReply {
        titles(request)
    }

    func countByTag(_ request: Kratos_Test_V1_ListBooksRequest, context: RequestContext) async throws -> Kratos_Test_V1_TitlesReply {
        titles(request)
    }

    func shelfName(_ request: Kratos_Test_V1_ListBooksRequest, context: RequestContext) async throws -> Kratos_Test_V1_TitlesReply {
        titles(request)
    }

    private func titles(_ request: Kratos_Test_V1_ListBooksRequest) -> Kratos_Test_V1_TitlesReply {
        .with {
            $0.titles = request.tags.map { "Title \($0)" }
            $0.total = Int64(request.pageSize) * 1_000_000_000_000
            $0.counts = Dictionary(uniqueKeysWithValues: request.tags.enumerated().map { ($1, Int32($0 + 1)) })
            $0.shelfName = request.shelf
        }
    }

    func ping(_ request: Kratos_Test_V1_HelloRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        .with { $0.message = "pong \(request.name) via \(context.operation)" }
    }

    func watch(_ request: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {
        try await writer.write(.with { $0.message = request.name })
    }
}

/// protoc-gen-kratos-http and protoc-gen-kratos-grpc run by the real protoc; the committed output
/// (compiled into KratosTestSupport) driven over a real loopback server.
@Suite struct HTTPGeneratorTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let protos = root.appendingPathComponent("Tests/KratosTestSupport/Protos")
    static let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()

    /// Runs protoc with one of our plugins on `files`; returns the files it wrote.
    func generate(_ plugin: String, options: String, files: [String]) async throws -> (status: Int32, stderr: String, files: [String: String]) {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-gen-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: out) }
        let run = try await runProcess("/usr/bin/protoc", [
            "--plugin=protoc-gen-\(plugin)=\(Self.bin.appendingPathComponent("protoc-gen-\(plugin)").path)",
            "--\(plugin)_out=\(out.path)", "--\(plugin)_opt=\(options)",
            "-I", Self.protos.path, "-I", Self.root.appendingPathComponent("Templates/service/third_party").path,
        ] + files.map { Self.protos.appendingPathComponent($0).path })
        var written: [String: String] = [:]
        for name in (try? FileManager.default.contentsOfDirectory(atPath: out.path)) ?? [] {
            written[name] = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
        }
        return (run.status, String(decoding: run.stderr, as: UTF8.self), written)
    }

    @Test(arguments: [("kratos-http", ".http.swift"), ("kratos-grpc", ".kratos-grpc.swift")])
    func outputMatchesTheCommittedGoldenFiles(plugin: String, suffix: String) async throws {
        let run = try await generate(plugin, options: "Visibility=Public,FileNaming=PathToUnderscores",
                                     files: ["kratos/test/v1/library.proto", "kratos/test/v1/greeter.proto", "kratos/test/v1/test.proto"])
        #expect(run.status == 0, "\(run.stderr)")
        // test.proto declares no service, so it gets no file; alone, either plugin also writes the
        // shared .kratos.swift (the same text from both).
        #expect(Set(run.files.keys) == ["kratos_test_v1_library\(suffix)", "kratos_test_v1_greeter\(suffix)",
                                        "kratos_test_v1_library.kratos.swift", "kratos_test_v1_greeter.kratos.swift"])
        for (name, text) in run.files {
            let golden = try String(contentsOf: Self.root.appendingPathComponent("Tests/KratosTestSupport/Generated/\(name)"), encoding: .utf8)
            #expect(text == golden, "\(name) differs: regenerate with Scripts/generate-protos")
        }
    }

    @Test func defaultRoutesAndClientCanBeTurnedOff() async throws {
        let run = try await generate("kratos-http", options: "DefaultRoutes=false,Client=false,FileNaming=DropPath", files: ["kratos/test/v1/library.proto"])
        #expect(run.status == 0, "\(run.stderr)")
        let text = try #require(run.files["library.http.swift"])
        #expect(!text.contains("Operation.ping,") && !text.contains("server.route(.POST, \"/kratos.test.v1.Shelf/Ping\""))
        #expect(try #require(run.files["library.kratos.swift"]).contains("static let ping = \"/kratos.test.v1.Shelf/Ping\""))
        #expect(!text.contains("KratosHTTPClient"))
    }

    @Test func badRulesAndOptionsFailNamingTheCause() async throws {
        let bad = try await generate("kratos-http", options: "Client=maybe", files: ["kratos/test/v1/library.proto"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("Client takes true or false"))

        // A custom method SwiftNIO's HTTP/1 parser would reject is refused at generation time.
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-proto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("bad/v1"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        try """
        syntax = "proto3";
        package bad.v1;
        import "google/api/annotations.proto";
        message M { string id = 1; }
        service S { rpc Go(M) returns (M) { option (google.api.http) = {custom {kind: "PUBLISH" path: "/v1/{id}"}}; } }
        """.write(to: dir.appendingPathComponent("bad/v1/bad.proto"), atomically: true, encoding: .utf8)
        let run = try await runProcess("/usr/bin/protoc", [
            "--plugin=protoc-gen-kratos-http=\(Self.bin.appendingPathComponent("protoc-gen-kratos-http").path)",
            "--kratos-http_out=\(dir.path)", "-I", dir.path, "-I", Self.root.appendingPathComponent("Templates/service/third_party").path,
            dir.appendingPathComponent("bad/v1/bad.proto").path,
        ])
        #expect(run.status != 0)
        #expect(String(decoding: run.stderr, as: UTF8.self).contains("bad.v1.S.Go: custom method PUBLISH"))
    }

    /// Server streams with a rule become SSE routes; client and bidi streams with a rule, and
    /// server streams without one, get no route; response_body on a server stream is refused.
    @Test func streamingRPCsWithARuleGetSSEAndWebSocketRoutes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-proto-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("s/v1"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        func generate(_ service: String) async throws -> (status: Int32, stderr: String, text: String) {
            try """
            syntax = "proto3";
            package s.v1;
            import "google/api/annotations.proto";
            message M { string id = 1; M next = 2; }
            \(service)
            """.write(to: dir.appendingPathComponent("s/v1/s.proto"), atomically: true, encoding: .utf8)
            let run = try await runProcess("/usr/bin/protoc", [
                "--plugin=protoc-gen-kratos-http=\(Self.bin.appendingPathComponent("protoc-gen-kratos-http").path)",
                "--kratos-http_out=\(dir.path)", "--kratos-http_opt=FileNaming=DropPath", "-I", dir.path,
                "-I", Self.root.appendingPathComponent("Templates/service/third_party").path, dir.appendingPathComponent("s/v1/s.proto").path,
            ])
            let text = (try? String(contentsOf: dir.appendingPathComponent("s.http.swift"), encoding: .utf8)) ?? ""
            return (run.status, String(decoding: run.stderr, as: UTF8.self), text)
        }
        let streams = try await generate("""
            service S {
              rpc Down(M) returns (stream M) { option (google.api.http) = {get: "/v1/down/{id}"}; }
              rpc Up(stream M) returns (M) { option (google.api.http) = {post: "/v1/up" body: "*"}; }
              rpc Both(stream M) returns (stream M) { option (google.api.http) = {post: "/v1/both" body: "*"}; }
              rpc NoRule(M) returns (stream M);
            }
            """)
        #expect(streams.status == 0, "\(streams.stderr)")
        #expect(streams.text.contains("try server.serverStreaming(.GET, \"/v1/down/{id}\", operation: S_V1_SOperation.down)"))
        #expect(streams.text.components(separatedBy: "server.serverStreaming(").count == 2)
        // Client and bidirectional streams: WebSocket routes, a GET handshake whatever the verb.
        #expect(streams.text.contains("try server.clientStreaming(.GET, \"/v1/up\", operation: S_V1_SOperation.up) { (requests: MessageStream<S_V1_M>, context) in"))
        #expect(streams.text.contains("try server.bidiStreaming(.GET, \"/v1/both\", operation: S_V1_SOperation.both) { (requests: MessageStream<S_V1_M>, writer: MessageWriter<S_V1_M>, context) in"))
        #expect(!streams.text.contains("S/NoRule"))
        let refused = try await generate("""
            service S { rpc Down(M) returns (stream M) { option (google.api.http) = {get: "/v1/down" response_body: "next"}; } }
            """)
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("s.v1.S.Down: response_body is not supported on a server-streaming method"))
    }

    /// One call per binding through the generated client against the generated registration.
    @Test func everyBindingThroughTheGeneratedClient() async throws {
        let server = loopbackServer()
        try EchoShelf().register(on: server)
        try await withServer(server) { endpoint in
            let shelf = Kratos_Test_V1_ShelfHTTPClient(KratosHTTPClient(.init(endpoint: endpoint)))

            // {name=shelves/*/books/*}: slashes kept in the variable; other fields as query.
            let got = try await step("getBook") { try await shelf.getBook(.with { $0.name = "shelves/7/books/9"; $0.view = "full"; $0.version = 3 }) }
            #expect(got.id == "shelves/7/books/9" && got.title == "view=full" && got.pages == 3)

            // First binding through the client, the additional one through curl.
            let listed = try await step("listBooks") { try await shelf.listBooks(.with { $0.shelf = "s 1"; $0.pageSize = 20; $0.tags = ["a", "b"] }) }
            #expect(listed.shelf == "s 1" && listed.pageSize == 20 && listed.tags == ["a", "b"])
            let additional = try await curl(endpoint + "/v1/books?page_size=5&tags=x&tags=y")
            #expect(additional.status == 200)
            #expect(try additional.json()["tags"] as? [String] == ["x", "y"])
            #expect(try additional.json()["pageSize"] as? Int == 5)

            // body: "book" binds the body into that field; the path binds shelf.
            let created = try await step("createBook") { try await shelf.createBook(.with { $0.shelf = "s1"; $0.book = .with { $0.id = "b1"; $0.title = "Dune" } }) }
            #expect(created.id == "s1/b1" && created.title == "Dune")

            // body: "*", and the dotted path variable book.id wins over the body.
            let updated = try await step("updateBook") { try await shelf.updateBook(.with {
                $0.shelf = "s2"
                $0.book = .with { $0.id = "b2"; $0.title = "Emma" }
                $0.validateOnly = true
            }) }
            #expect(updated.id == "b2" && updated.title == "Emma on s2 validate=true")
            let overridden = try await curl("-X", "PATCH", "-H", "content-type: application/json",
                                            "--data", #"{"book":{"id":"body","title":"T"}}"#, endpoint + "/v1/shelves/s3/books/path")
            #expect(try overridden.json()["id"] as? String == "path")

            let deleted = try await step("deleteBook") { try await shelf.deleteBook(.with { $0.name = "shelves/1/books/2"; $0.version = 4 }) }
            #expect(deleted.message == "deleted shelves/1/books/2 version=4")

            let put = try await step("putBook") { try await shelf.putBook(.with { $0.id = "p/1"; $0.title = "escaped"; $0.pages = 12 }) }
            #expect(put.id == "p/1" && put.title == "escaped" && put.pages == 12)

            // A custom verb with a verb suffix, and response_body: the reply body is the book alone.
            let published = try await step("publishBook") { try await shelf.publishBook(.with { $0.id = "b9"; $0.notify = true }) }
            #expect(published.book.id == "b9" && published.book.title == "notify=true")
            #expect(published.note.isEmpty)
            let raw = try await curl("-X", "SEARCH", endpoint + "/v1/books/b9:publish?notify=true")
            #expect(raw.text == #"{"id":"b9","title":"notify=true","pages":0}"#)

            // response_body naming a repeated, an int64, a map and a renamed scalar field (go-kratos
            // allows any field): the body is that field's JSON; the client puts it back.
            let ask = Kratos_Test_V1_ListBooksRequest.with { $0.shelf = "main"; $0.pageSize = 2; $0.tags = ["a", "b"] }
            let titles = try await step("listTitles") { try await shelf.listTitles(ask) }
            #expect(titles == .with { $0.titles = ["Title a", "Title b"] })
            #expect(try await curl(endpoint + "/v1/titles?tags=a&tags=b").text == #"["Title a","Title b"]"#)
            #expect(try await curl(endpoint + "/v1/titles").text == "[]")
            #expect(try await shelf.countBooks(ask).total == 2_000_000_000_000)
            #expect(try await curl(endpoint + "/v1/count?page_size=3").text == #""3000000000000""#)
            #expect(try await shelf.countByTag(ask).counts == ["a": 1, "b": 2])
            #expect(try await curl(endpoint + "/v1/counts?tags=x").text == #"{"x":1}"#)
            #expect(try await shelf.shelfName(ask).shelfName == "main")
            let named = try await curl("-i", endpoint + "/v1/shelf-name?shelf=s%201")
            #expect(named.text == #""s 1""# && named.headers["content-type"] == "application/json")
            // YAML has an encoding for a string; proto has none for a bare scalar (500 CODEC).
            #expect(try await curl("-H", "accept: application/yaml", endpoint + "/v1/shelf-name?shelf=s").text == "s\n")
            #expect(try await curl("-H", "accept: application/proto", endpoint + "/v1/count").status == 500)

            // No rule: POST /pkg.Svc/Method with the whole request as the body.
            let pong = try await step("ping") { try await shelf.ping(.with { $0.name = "p" }) }
            #expect(pong.message == "pong p via /kratos.test.v1.Shelf/Ping")
        }
    }
}

/// Runs one call of a longer scenario, naming it in the failure.
func step<T>(_ name: String, _ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch {
        throw ProcessFailure(description: "\(name): \(error)")
    }
}
