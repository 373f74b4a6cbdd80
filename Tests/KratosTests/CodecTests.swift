import Foundation
import Testing
@testable import Kratos
import KratosTestSupport

@Suite struct CodecTests {
    struct Note: Codable, Equatable, Sendable {
        var title: String
        var tags: [String]
    }

    let book: Kratos_Test_V1_Book = .with { $0.id = "b1"; $0.title = "Dune"; $0.pages = 412 }

    @Test(arguments: ["application/json", "application/json; charset=utf-8", "application/x-protobuf", "application/proto",
                      "application/x-www-form-urlencoded", "application/yaml", "application/x-yaml"])
    func registryFindsCodecsByContentType(contentType: String) throws {
        let codec = try #require(CodecRegistry.standard.codec(forContentType: contentType))
        let expected = ["json": "json", "x-protobuf": "proto", "proto": "proto", "x-www-form-urlencoded": "x-www-form-urlencoded",
                        "yaml": "yaml", "x-yaml": "yaml"][CodecRegistry.subtype(of: contentType)]
        #expect(codec.name == expected)
    }

    /// go-kratos internal/httputil/http_test.go, TestContentSubtype, plus the odd inputs its code
    /// implies: no trimming, no lower-casing, "" without a slash or with a ";" before it.
    @Test(arguments: [("text/html; charset=utf-8", "html"), ("multipart/form-data; boundary=something", "form-data"),
                      ("application/json; charset=utf-8", "json"), ("application/json", "json"), ("application/xml", "xml"),
                      ("text/xml", "xml"), (";text/xml", ""), ("application", ""), ("Application/JSON", "JSON"),
                      ("application/json ;x", "json "), ("a/b/c", "b/c"), ("application/", ""), ("/json", "json"), ("", "")])
    func contentSubtypeAsGoKratosReadsIt(contentType: String, subtype: String) {
        #expect(CodecRegistry.subtype(of: contentType) == subtype)
    }

    /// Codec lookup ignores case and surrounding spaces (media types are case-insensitive, RFC
    /// 9110); go-kratos's is exact. A bare type names no codec.
    @Test func lookupIgnoresCaseButABareTypeNamesNothing() {
        let registry = CodecRegistry.standard
        #expect(registry.codec(forContentType: "Application/JSON")?.name == "json")
        #expect(registry.codec(forContentType: "application/json ; charset=utf-8")?.name == "json")
        #expect(registry.codec(forContentType: "application") == nil)
        #expect(registry.codec(forContentType: "json") == nil)
        #expect(registry.reply(forAccept: "APPLICATION/PROTO").contentType == "application/proto")
        #expect(registry.reply(forAccept: "application/protojson").codec.name == "json")
        #expect(registry.reply(forAccept: "application/json;q=1").contentType == "application/json")
        #expect(registry.reply(forAccept: "application").contentType == "application/json")
    }

    @Test func acceptPicksTheFirstKnownRangeElseJSON() {
        let registry = CodecRegistry.standard
        #expect(registry.codec(forAccept: "text/html, application/x-protobuf;q=0.9").name == "proto")
        #expect(registry.codec(forAccept: "*/*").name == "json")
        #expect(registry.codec(forAccept: nil).name == "json")
        #expect(registry.codec(forAccept: "image/png").name == "json")
        #expect(registry.codec(forContentType: "text/plain") == nil)
    }

    @Test(arguments: ["json", "proto", "x-www-form-urlencoded", "yaml", "xml"])
    func messagesRoundTrip(name: String) throws {
        let codec = try #require(CodecRegistry.standard[name])
        let bytes = try codec.encode(book)
        #expect(try codec.decode(Kratos_Test_V1_Book.self, from: bytes) == book)
    }

    @Test(arguments: ["json", "x-www-form-urlencoded", "yaml", "xml"])
    func codableRoundTrip(name: String) throws {
        let codec = try #require(CodecRegistry.standard[name])
        let note = Note(title: "a b&c", tags: ["x", "y"])
        #expect(try codec.decode(Note.self, from: try codec.encode(note)) == note)
    }

    @Test func jsonUsesProtoJSONForMessages() throws {
        let json = String(decoding: try JSONCodec().encode(book), as: UTF8.self)
        #expect(json.contains("\"title\":\"Dune\"") && json.contains("\"pages\":412"))
        let withUnknown = Array(#"{"id":"b2","unknown":1}"#.utf8)
        #expect(try JSONCodec().decode(Kratos_Test_V1_Book.self, from: withUnknown).id == "b2")
    }

    @Test func formEncodesNestedFieldsWithDots() throws {
        let request = Kratos_Test_V1_UpdateBookRequest.with { $0.shelf = "s1"; $0.book = book; $0.validateOnly = true }
        let form = String(decoding: try FormCodec().encode(request), as: UTF8.self)
        #expect(form == "book.id=b1&book.pages=412&book.title=Dune&shelf=s1&validate_only=true")
    }

    @Test(arguments: ["json", "proto", "yaml", "xml"])
    func malformedBodiesAreCodecErrors(name: String) throws {
        let codec = try #require(CodecRegistry.standard[name])
        #expect {
            _ = try codec.decode(Kratos_Test_V1_Book.self, from: Array("{not: [valid".utf8) + [0xFF, 0x01])
        } throws: { error in
            let kratos = error as? KratosError
            return kratos?.code == 400 && kratos?.reason == "CODEC"
        }
    }
}
