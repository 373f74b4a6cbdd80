import Foundation
import Testing
@testable import KratosCLI
import KratosCodeGen

/// `kratos proto add|client|server` and `kratos doctor`, through the built binary.
@Suite struct ProtoCommandTests {
    /// A sandbox whose `$KRATOS_HOME/bin` holds the plugins built with the tests, and a PATH
    /// with Debian's protoc.
    static func toolSandbox() throws -> Sandbox {
        let sandbox = try Sandbox()
        let bin = sandbox.kratosHome.appendingPathComponent("bin")
        try FileManager.default.createDirectory(at: bin, withIntermediateDirectories: true)
        for tool in Tool.plugins {
            try FileManager.default.createSymbolicLink(at: bin.appendingPathComponent(tool.name),
                                                       withDestinationURL: Sandbox.buildProducts.appendingPathComponent(tool.name))
        }
        return sandbox
    }

    @Test func addWritesASkeletonThatProtocAccepts() throws {
        let sandbox = try Self.toolSandbox()
        let added = try sandbox.kratos("proto", "add", "api/shop/v1/order_item.proto")
        #expect(added.status == 0, "\(added.stderr)")
        let text = try String(contentsOf: sandbox.work.appendingPathComponent("api/shop/v1/order_item.proto"), encoding: .utf8)
        #expect(text.contains("package shop.v1;"))
        #expect(text.contains("service OrderItem {"))
        for verb in ["Create", "Update", "Delete", "Get", "List"] {
            #expect(text.contains("rpc \(verb)OrderItem(\(verb)OrderItemRequest) returns (\(verb)OrderItemReply)"))
        }
        let dry = try sandbox.kratos("proto", "client", "api", "--dry-run")
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("shop/v1/order_item.proto"))
    }

    @Test func addRefusesToOverwriteAndNeedsAHierarchicalPath() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.kratos("proto", "add", "api/shop/v1/cart.proto").status == 0)
        let file = sandbox.work.appendingPathComponent("api/shop/v1/cart.proto")
        try "// mine\n".write(to: file, atomically: true, encoding: .utf8)
        let again = try sandbox.kratos("proto", "add", "api/shop/v1/cart.proto")
        #expect(again.status == 1)
        #expect(again.stderr.contains("already exists"))
        #expect(try String(contentsOf: file, encoding: .utf8) == "// mine\n")

        for bad in ["cart.proto", "api/cart.proto", "api/shop/v1/cart.txt", "../x/y/z.proto", "api/sh-op/v1/a.proto"] {
            let result = try sandbox.kratos("proto", "add", bad)
            #expect(result.status == 2, "\(bad): \(result.stderr)")
        }
        // Nothing but the first file was written.
        let written = try FileManager.default.subpathsOfDirectory(atPath: sandbox.work.path).filter { $0.hasSuffix(".proto") }
        #expect(written == ["api/shop/v1/cart.proto"])
    }

    @Test func clientGeneratesEveryKindAndReportsPerFile() throws {
        let sandbox = try Self.toolSandbox()
        try FileManager.default.createDirectory(at: sandbox.work.appendingPathComponent("Sources/API"), withIntermediateDirectories: true)
        try "// swift-tools-version:6.0\n".write(to: sandbox.work.appendingPathComponent("Package.swift"), atomically: true, encoding: .utf8)
        #expect(try sandbox.kratos("proto", "add", "api/shop/v1/cart.proto").status == 0)
        let generated = try sandbox.kratos("proto", "client", "api")
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect(generated.stdout.contains("shop/v1/cart.proto:"))
        let out = sandbox.work.appendingPathComponent("Sources/API/shop/v1")
        let files = try FileManager.default.contentsOfDirectory(atPath: out.path).sorted()
        #expect(files == ["cart.http.swift", "cart.kratos-grpc.swift", "cart.kratos.swift", "cart.pb.swift"])
        // Without --http-client the HTTP file needs no AsyncHTTPClient.
        #expect(!(try String(contentsOf: out.appendingPathComponent("cart.http.swift"), encoding: .utf8)).contains("KratosHTTPClient"))
    }

    /// A proto that imports buf/validate/validate.proto (here through another proto) also gets
    /// its validation code; the others do not need protoc-gen-kratos-validate at all.
    @Test func clientValidatesProtosThatImportTheRules() throws {
        let sandbox = try Self.toolSandbox()
        // The shipped protos as an earlier build of this version wrote them: buf/validate missing.
        let include = sandbox.kratosHome.appendingPathComponent("include/\(KratosCommand.version)")
        try FileManager.default.createDirectory(at: include, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: include.appendingPathComponent(".complete").path, contents: Data())
        let dir = sandbox.work.appendingPathComponent("api/shop/v1")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
            syntax = "proto3";
            package shop.v1;
            import "buf/validate/validate.proto";
            message Sku { string code = 1 [(buf.validate.field).string.len = 8]; }
            """.write(to: dir.appendingPathComponent("sku.proto"), atomically: true, encoding: .utf8)
        try """
            syntax = "proto3";
            package shop.v1;
            import "shop/v1/sku.proto"; // the rules come through this import
            message Line { Sku sku = 1; int32 count = 2; }
            """.write(to: dir.appendingPathComponent("line.proto"), atomically: true, encoding: .utf8)
        try "syntax = \"proto3\";\npackage shop.v1;\nmessage Note { string text = 1; }\n".write(to: dir.appendingPathComponent("note.proto"), atomically: true, encoding: .utf8)
        let generated = try sandbox.kratos("proto", "client", "api")
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect(generated.stdout.contains("shop/v1/sku.proto: shop/v1/sku.pb.swift, shop/v1/sku.validate.swift"), "\(generated.stdout)")
        #expect(generated.stdout.contains("shop/v1/line.proto: shop/v1/line.pb.swift, shop/v1/line.validate.swift"), "\(generated.stdout)")
        #expect(generated.stdout.contains("shop/v1/note.proto: shop/v1/note.pb.swift\n"), "\(generated.stdout)")
        let line = try String(contentsOf: dir.appendingPathComponent("line.validate.swift"), encoding: .utf8)
        #expect(line.contains("extension Shop_V1_Line: Validatable"))
        #expect(FileManager.default.fileExists(atPath: include.appendingPathComponent("buf/validate/validate.proto").path))

        // Without the plugin: the plain proto still generates; one with rules names the fix.
        try FileManager.default.removeItem(at: sandbox.kratosHome.appendingPathComponent("bin/protoc-gen-kratos-validate"))
        let environment = ["PATH": "/usr/bin:/bin"]
        #expect(try sandbox.kratos("proto", "client", "api/shop/v1/note.proto", environment: environment).status == 0)
        let missing = try sandbox.kratos("proto", "client", "api/shop/v1/sku.proto", environment: environment)
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("protoc-gen-kratos-validate was not found") && missing.stderr.contains("kratos upgrade"), "\(missing.stderr)")
    }

    /// A route taking google.api.HttpBody needs its Swift message: generated once, beside the
    /// protos, from the shipped copy of httpbody.proto.
    @Test func clientGeneratesHttpBodyForProtosThatUseIt() throws {
        let sandbox = try Self.toolSandbox()
        let dir = sandbox.work.appendingPathComponent("api/files/v1")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try """
            syntax = "proto3";
            package files.v1;
            import "google/api/annotations.proto";
            import "google/api/httpbody.proto";
            service Store {
              rpc Put(google.api.HttpBody) returns (PutReply) { option (google.api.http) = {post: "/v1/files" body: "*"}; }
            }
            message PutReply { int64 size = 1; }
            """.write(to: dir.appendingPathComponent("store.proto"), atomically: true, encoding: .utf8)
        let generated = try sandbox.kratos("proto", "client", "api")
        #expect(generated.status == 0, "\(generated.stderr)")
        #expect(generated.stdout.contains("google/api/httpbody.proto: google/api/httpbody.pb.swift"), "\(generated.stdout)")
        let message = try String(contentsOf: sandbox.work.appendingPathComponent("api/google/api/httpbody.pb.swift"), encoding: .utf8)
        #expect(message.contains("public nonisolated struct Google_Api_HttpBody"))
        let routes = try String(contentsOf: dir.appendingPathComponent("store.http.swift"), encoding: .utf8)
        #expect(routes.contains("body: .httpBody"))
    }

    @Test func dryRunChangesNothing() throws {
        let sandbox = try Self.toolSandbox()
        #expect(try sandbox.kratos("proto", "add", "api/shop/v1/cart.proto").status == 0)
        let before = try FileManager.default.subpathsOfDirectory(atPath: sandbox.work.path).sorted()
        let dry = try sandbox.kratos("proto", "client", "api/shop/v1/cart.proto", "--dry-run")
        #expect(dry.status == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("--kratos-http_out=") && dry.stdout.contains("--swift_out="))
        #expect(try FileManager.default.subpathsOfDirectory(atPath: sandbox.work.path).sorted() == before)
    }

    @Test func aMissingToolFailsNamingTheFix() throws {
        let sandbox = try Sandbox()
        #expect(try sandbox.kratos("proto", "add", "api/shop/v1/cart.proto").status == 0)
        // protoc present (Debian's), the plugins absent from KRATOS_HOME and PATH.
        let noPlugins = try sandbox.kratos("proto", "client", "api", environment: ["PATH": "/usr/bin:/bin"])
        #expect(noPlugins.status == 1)
        #expect(noPlugins.stderr.contains("protoc-gen-swift was not found") && noPlugins.stderr.contains("kratos upgrade"))
        // No protoc either.
        let noProtoc = try sandbox.kratos("proto", "client", "api", environment: ["PATH": "/nonexistent"])
        #expect(noProtoc.status == 1)
        #expect(noProtoc.stderr.contains("protoc was not found"))
        #expect(!FileManager.default.fileExists(atPath: sandbox.work.appendingPathComponent("api/shop/v1/cart.pb.swift").path))
    }

    @Test func serverWritesAFilePerServiceAndAppendsOnlyMissingMethods() throws {
        let sandbox = try Self.toolSandbox()
        let proto = sandbox.work.appendingPathComponent("api/shop/v1/shop.proto")
        try FileManager.default.createDirectory(at: proto.deletingLastPathComponent(), withIntermediateDirectories: true)
        let first = """
            syntax = "proto3";
            package shop.v1;
            import "google/protobuf/empty.proto";
            message Item { string id = 1; }
            service Catalog {
              rpc GetItem(Item) returns (Item);
              rpc Watch(google.protobuf.Empty) returns (stream Item);
            }
            service Cart {
              rpc Fill(stream Item) returns (google.protobuf.Empty);
              rpc Sync(stream Item) returns (stream Item);
            }
            """
        try first.write(to: proto, atomically: true, encoding: .utf8)
        let created = try sandbox.kratos("proto", "server", "api/shop/v1/shop.proto", "-t", "Sources/Shop/Service")
        #expect(created.status == 0, "\(created.stderr)")
        let catalog = sandbox.work.appendingPathComponent("Sources/Shop/Service/Catalog.swift")
        let cart = sandbox.work.appendingPathComponent("Sources/Shop/Service/Cart.swift")
        var catalogText = try String(contentsOf: catalog, encoding: .utf8)
        #expect(catalogText.contains("struct Catalog: Shop_V1_CatalogService {"))
        #expect(catalogText.contains("func getItem(_ request: Shop_V1_Item, context: RequestContext) async throws -> Shop_V1_Item {"))
        #expect(catalogText.contains("func watch(_ request: SwiftProtobuf.Google_Protobuf_Empty, writer: MessageWriter<Shop_V1_Item>, context: RequestContext) async throws {"))
        let cartText = try String(contentsOf: cart, encoding: .utf8)
        #expect(cartText.contains("func fill(_ requests: MessageStream<Shop_V1_Item>, context: RequestContext) async throws -> SwiftProtobuf.Google_Protobuf_Empty {"))
        #expect(cartText.contains("func sync(_ requests: MessageStream<Shop_V1_Item>, writer: MessageWriter<Shop_V1_Item>, context: RequestContext) async throws {"))

        // A user edit, then a new RPC: exactly that method is appended, the edit is kept.
        catalogText = catalogText.replacingOccurrences(of: "throw KratosError(code: 501, reason: \"NOT_IMPLEMENTED\", message: \"Catalog.GetItem is not implemented yet\")",
                                                       with: "return request // mine")
        try catalogText.write(to: catalog, atomically: true, encoding: .utf8)
        try first.replacingOccurrences(of: "  rpc Watch(", with: "  rpc ListItems(google.protobuf.Empty) returns (Item);\n  rpc Watch(")
            .write(to: proto, atomically: true, encoding: .utf8)
        let again = try sandbox.kratos("proto", "server", "api/shop/v1/shop.proto", "-t", "Sources/Shop/Service")
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout.contains("Catalog.swift: added listItems"))
        #expect(again.stdout.contains("Cart.swift: up to date"))
        let amended = try String(contentsOf: catalog, encoding: .utf8)
        #expect(amended.contains("return request // mine"))
        #expect(amended.components(separatedBy: "func ").count - 1 == 3)
        #expect(amended.hasPrefix(catalogText.components(separatedBy: "\n}\n").first!))
        #expect(try String(contentsOf: cart, encoding: .utf8) == cartText)
    }

    @Test func appendingKeepsEverythingAndUsesExtensions() throws {
        let service = ServerStubs.Service(typeName: "Greeter", protocolName: "P", fullName: "x.Greeter", methods: [
            .init(name: "sayHello", source: "    func sayHello() {}\n"),
            .init(name: "sayBye", source: "    func sayBye() {}\n"),
        ])
        let source = """
            // header
            struct Greeter: P {
                let name = "}" // a brace in a string
                /* } */
            }

            extension Greeter {
                func sayHello() {}
            }

            """
        let (amended, added) = try ServiceFile.append(service, to: source, file: "Greeter.swift")
        #expect(added == ["sayBye"])
        #expect(amended == """
            // header
            struct Greeter: P {
                let name = "}" // a brace in a string
                /* } */

                func sayBye() {}
            }

            extension Greeter {
                func sayHello() {}
            }

            """)
        #expect(throws: CLIError.self) { try ServiceFile.append(service, to: "struct Other {}\n", file: "Greeter.swift") }
    }

    @Test func doctorReportsAsJSONAndFailsWhenSomethingIsMissing() throws {
        let sandbox = try Self.toolSandbox()
        let ok = try sandbox.kratos("doctor", "--json")
        let checks = try JSONSerialization.jsonObject(with: Data(ok.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(Set(checks.compactMap { $0["name"] as? String }).isSuperset(of: ["swift", "protoc", "protoc-gen-kratos-http", "libgit2"]))
        #expect(ok.status == 0, "\(ok.stdout)")
        let missing = try sandbox.kratos("doctor", environment: ["PATH": "/nonexistent", "KRATOS_HOME": sandbox.root.appendingPathComponent("empty").path])
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("protoc") && missing.stderr.contains("kratos upgrade"))
    }
}
