import Foundation
import Kratos
import KratosHTTP
import KratosTestSupport
import NIOHTTP1
import SwiftProtobuf
import Synchronization
import Testing

typealias Book = Kratos_Test_V1_Book
typealias HelloRequest = Kratos_Test_V1_HelloRequest
typealias HelloReply = Kratos_Test_V1_HelloReply
typealias UpdateBookRequest = Kratos_Test_V1_UpdateBookRequest

/// A real server on an ephemeral loopback port, driven by curl.
@Suite struct HTTPServerTests {
    /// A server with the routes most tests use.
    func bookServer(timeout: Duration = .seconds(1), maxBodySize: Int = 4 << 20) throws -> KratosHTTPServer {
        let server = loopbackServer(timeout: timeout, maxBodySize: maxBodySize)
        try server.route(.POST, "/v1/books", operation: "/test.Books/Create", body: .all) { (book: Book, _) in
            Book.with { $0.id = book.id.isEmpty ? "generated" : book.id; $0.title = book.title.uppercased(); $0.pages = book.pages }
        }
        try server.route(.GET, "/helloworld/{name}", operation: "/test.Greeter/SayHello") { (request: HelloRequest, _) in
            HelloReply.with { $0.message = "Hello \(request.name)" }
        }
        try server.route(.GET, "/v1/books/{id}", operation: "/test.Books/Get") { (book: Book, _) -> Book in
            throw KratosError.notFound("BOOK_NOT_FOUND", "book \(book.id) not found").with(metadata: ["id": book.id])
        }
        try server.route(.GET, "/v1/crash", operation: "/test.Books/Crash") { (_: HelloRequest, _) -> HelloReply in
            struct Secret: Error, CustomStringConvertible { var description: String { "db password is hunter2" } }
            throw Secret()
        }
        try server.route(.GET, "/v1/slow", operation: "/test.Books/Slow") { (_: HelloRequest, _) -> HelloReply in
            try await Task.sleep(for: .seconds(5))
            return HelloReply.with { $0.message = "late" }
        }
        try server.route(.PATCH, "/v1/shelves/{shelf}/books/{book.id}", operation: "/test.Books/Update",
                         body: .field { input, request in input.book = try request.decodeBody(Book.self) }) { (request: UpdateBookRequest, _) in
            request
        }
        return server
    }

    @Test func jsonBody() async throws {
        try await withServer(try bookServer()) { endpoint in
            let reply = try await curl("-X", "POST", "-H", "content-type: application/json", "-d", #"{"id":"b1","title":"dune","pages":412}"#, endpoint + "/v1/books")
            #expect(reply.status == 200)
            #expect(reply.headers["content-type"] == "application/json")
            let json = try reply.json()
            #expect(json["id"] as? String == "b1" && json["title"] as? String == "DUNE" && json["pages"] as? Int == 412)
        }
    }

    @Test func protoBodyAndProtoReply() async throws {
        try await withServer(try bookServer()) { endpoint in
            let body = try temporaryFile(try Book.with { $0.id = "p1"; $0.title = "proto"; $0.pages = 7 }.serializedData())
            defer { try? FileManager.default.removeItem(at: body) }
            for type in ["application/x-protobuf", "application/proto"] {
                let reply = try await curl("-X", "POST", "-H", "content-type: \(type)", "-H", "accept: \(type)",
                                           "--data-binary", "@" + body.path, endpoint + "/v1/books")
                #expect(reply.status == 200)
                #expect(reply.headers["content-type"] == type)
                #expect(try Book(serializedBytes: reply.body) == Book.with { $0.id = "p1"; $0.title = "PROTO"; $0.pages = 7 })
            }
        }
    }

    /// go-kratos's xml codec on the wire: an XML body in (application/xml or text/xml), an XML
    /// reply out, labelled as asked; errors in XML too.
    @Test func xmlBodyAndXMLReply() async throws {
        try await withServer(try bookServer()) { endpoint in
            for type in ["application/xml", "text/xml"] {
                let reply = try await curl("-X", "POST", "-H", "content-type: \(type); charset=utf-8", "-H", "accept: \(type)",
                                           "-d", "<?xml version=\"1.0\"?><Book><id>x1</id><title>x &amp; y</title><pages>5</pages></Book>",
                                           endpoint + "/v1/books")
                #expect(reply.status == 200)
                #expect(reply.headers["content-type"] == type)
                #expect(reply.text == "<Book><id>x1</id><title>X &amp; Y</title><pages>5</pages></Book>")
            }
            let missing = try await curl("-H", "accept: application/xml", endpoint + "/v1/books/b7")
            #expect(missing.status == 404 && missing.headers["content-type"] == "application/xml")
            #expect(missing.text.contains("<code>404</code>") && missing.text.contains("<reason>BOOK_NOT_FOUND</reason>"))
            let doctype = try await curl("-X", "POST", "-H", "content-type: application/xml",
                                         "-d", "<!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]><Book><id>&e;</id></Book>",
                                         endpoint + "/v1/books")
            #expect(doctype.status == 400 && doctype.text.contains("DOCTYPE is not accepted"))
        }
    }

    @Test func formBody() async throws {
        try await withServer(try bookServer()) { endpoint in
            let reply = try await curl("-X", "POST", "-d", "id=f1&title=form+book&pages=3", endpoint + "/v1/books")
            #expect(reply.status == 200)
            let json = try reply.json()
            #expect(json["id"] as? String == "f1" && json["title"] as? String == "FORM BOOK" && json["pages"] as? Int == 3)
        }
    }

    @Test func acceptChoosesTheReplyCodec() async throws {
        try await withServer(try bookServer()) { endpoint in
            let json = try await curl(endpoint + "/helloworld/kratos")
            #expect(json.status == 200 && json.text == #"{"message":"Hello kratos"}"#)
            #expect(json.headers["content-type"] == "application/json")
            // Replies are labelled with the media type asked for.
            let yaml = try await curl("-H", "accept: application/x-yaml", endpoint + "/helloworld/kratos")
            #expect(yaml.headers["content-type"] == "application/x-yaml")
            #expect(yaml.text == "message: Hello kratos\n")
            let proto = try await curl("-H", "accept: application/x-protobuf", endpoint + "/helloworld/kratos")
            #expect(proto.headers["content-type"] == "application/x-protobuf")
            #expect(try HelloReply(serializedBytes: proto.body).message == "Hello kratos")
            // go-kratos names its codec proto: a Go client asks for and sends application/proto.
            let goProto = try await curl("-H", "accept: application/proto", endpoint + "/helloworld/kratos")
            #expect(goProto.headers["content-type"] == "application/proto")
            #expect(try HelloReply(serializedBytes: goProto.body).message == "Hello kratos")
            // go-kratos v3 clients ask for application/protojson.
            let protojson = try await curl("-H", "accept: application/protojson", endpoint + "/helloworld/kratos")
            #expect(protojson.headers["content-type"] == "application/protojson")
            #expect(protojson.text == #"{"message":"Hello kratos"}"#)
            let any = try await curl("-H", "accept: */*", endpoint + "/helloworld/kratos")
            #expect(any.headers["content-type"] == "application/json")
        }
    }

    @Test func errorBodyShapeAndStatus() async throws {
        try await withServer(try bookServer()) { endpoint in
            let reply = try await curl(endpoint + "/v1/books/b42")
            #expect(reply.status == 404)
            #expect(reply.headers["content-type"] == "application/json")
            let json = try reply.json()
            #expect(json["code"] as? Int == 404)
            #expect(json["reason"] as? String == "BOOK_NOT_FOUND")
            #expect(json["message"] as? String == "book b42 not found")
            #expect(json["metadata"] as? [String: String] == ["id": "b42"])
            #expect(json.count == 4)
        }
    }

    @Test func unknownPathIs404InTheErrorBody() async throws {
        try await withServer(try bookServer()) { endpoint in
            let reply = try await curl(endpoint + "/nowhere")
            #expect(reply.status == 404)
            let json = try reply.json()
            #expect(json["code"] as? Int == 404 && json["reason"] as? String == "NOT_FOUND")
        }
    }

    @Test func wrongMethodIs405WithAllow() async throws {
        try await withServer(try bookServer()) { endpoint in
            let reply = try await curl("-X", "DELETE", endpoint + "/helloworld/kratos")
            #expect(reply.status == 405)
            #expect(reply.headers["allow"] == "GET")
            let json = try reply.json()
            #expect(json["code"] as? Int == 405 && json["reason"] as? String == "METHOD_NOT_ALLOWED")
        }
    }

    @Test func oversizedBodyIs413() async throws {
        try await withServer(try bookServer(maxBodySize: 1024)) { endpoint in
            let big = #"{"title":""# + String(repeating: "x", count: 4096) + #""}"#
            let reply = try await curl("-X", "POST", "-H", "content-type: application/json", "-d", big, endpoint + "/v1/books")
            #expect(reply.status == 413)
            #expect(try reply.json()["reason"] as? String == "PAYLOAD_TOO_LARGE")
            // The server still answers new connections.
            #expect(try await curl(endpoint + "/helloworld/again").status == 200)
        }
    }

    @Test func plainErrorIs500UnknownWithoutLeaking() async throws {
        try await withServer(try bookServer()) { endpoint in
            let reply = try await curl(endpoint + "/v1/crash")
            #expect(reply.status == 500)
            let json = try reply.json()
            #expect(json["reason"] as? String == "UNKNOWN")
            #expect(json["message"] as? String == "unknown request error")
            #expect(!reply.text.contains("hunter2"))
        }
    }

    @Test func malformedJSONIs400Codec() async throws {
        try await withServer(try bookServer()) { endpoint in
            let reply = try await curl("-X", "POST", "-H", "content-type: application/json", "-d", #"{"title": "#, endpoint + "/v1/books")
            #expect(reply.status == 400)
            let json = try reply.json()
            #expect(json["code"] as? Int == 400 && json["reason"] as? String == "CODEC")
        }
    }

    @Test func bodyNeedsAKnownContentTypeButAnEmptyBodyDoesNot() async throws {
        try await withServer(try bookServer()) { endpoint in
            let unknown = try await curl("-X", "POST", "-H", "content-type: text/csv", "-d", "a,b", endpoint + "/v1/books")
            #expect(unknown.status == 400)
            #expect(try unknown.json()["reason"] as? String == "CODEC")
            let empty = try await curl("-X", "POST", endpoint + "/v1/books")
            #expect(empty.status == 200)
            #expect(try empty.json()["id"] as? String == "generated")
        }
    }

    @Test func slowHandlerPastTheTimeoutIs504() async throws {
        try await withServer(try bookServer(timeout: .milliseconds(200))) { endpoint in
            let start = ContinuousClock.now
            let reply = try await curl(endpoint + "/v1/slow")
            #expect(reply.status == 504)
            #expect(try reply.json()["code"] as? Int == 504)
            // Answered long before the 5 s handler could have finished.
            #expect(ContinuousClock.now - start < .milliseconds(4500))
        }
    }

    @Test func bodyFieldQueryAndPathBinding() async throws {
        try await withServer(try bookServer()) { endpoint in
            let reply = try await curl("-X", "PATCH", "-H", "content-type: application/json", "-d", #"{"id":"from-body","title":"T"}"#,
                                       endpoint + "/v1/shelves/s%201/books/b9?validate_only=true&shelf=ignored")
            #expect(reply.status == 200)
            let json = try reply.json()
            #expect(json["shelf"] as? String == "s 1")
            #expect(json["validateOnly"] as? Bool == true)
            let book = json["book"] as? [String: Any]
            #expect(book?["id"] as? String == "b9" && book?["title"] as? String == "T")
        }
    }

    @Test func anUpgradeRequestToAPlainRouteIsAnsweredAndTheConnectionClosed() async throws {
        try await withServer(try bookServer()) { endpoint in
            // Once the decoder has seen `Connection: Upgrade`, it reads what follows as the new
            // protocol's: the reply says close, and curl's second request goes on a new connection
            // instead of waiting forever on this one.
            let output = try await runProcess("/usr/bin/curl", ["-sS", "-i", "--max-time", "10", "-H", "Connection: Upgrade", "-H", "Upgrade: foo",
                                                                endpoint + "/helloworld/a", endpoint + "/helloworld/b"])
            let text = String(decoding: output.stdout, as: UTF8.self)
            #expect(output.status == 0, "\(String(decoding: output.stderr, as: UTF8.self))")
            #expect(text.contains(#"{"message":"Hello a"}"#) && text.contains(#"{"message":"Hello b"}"#))
            #expect(text.lowercased().components(separatedBy: "connection: close").count == 3)
        }
    }

    @Test func keepAliveServesManyRequestsOnOneConnection() async throws {
        try await withServer(try bookServer()) { endpoint in
            let output = try await runProcess("/usr/bin/curl", ["-sS", endpoint + "/helloworld/a", endpoint + "/helloworld/b", endpoint + "/nope"])
            #expect(String(decoding: output.stdout, as: UTF8.self).hasPrefix(#"{"message":"Hello a"}{"message":"Hello b"}{"code":404"#))
        }
    }
}
