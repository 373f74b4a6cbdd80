import Foundation
import Kratos
import KratosHTTP
import KratosHTTPClient
import KratosTestSupport
import Logging
import Testing

/// Requests and replies cross the middleware as `any Sendable`; a middleware that hands on a
/// value of another type gets a 500 framework error, and the process lives on.
@Suite struct MiddlewareBoundaryTests {
    /// Replaces every request with a string.
    struct Replace: Middleware {
        func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
            try await next("not the request", context)
        }
    }

    @Test func aReplacedRequestIsA500NamingBothTypes() async throws {
        let server = loopbackServer()
        server.use(["/test.Greeter/Replaced", "/raw"], Replace())
        try server.route(.GET, "/replaced/{name}", operation: "/test.Greeter/Replaced") { (request: HelloRequest, _) in
            HelloReply.with { $0.message = request.name }
        }
        try server.route(.GET, "/raw") { _ in HTTPResponse(status: .ok) }
        try server.route(.GET, "/fine/{name}", operation: "/test.Greeter/Fine") { (request: HelloRequest, _) in
            HelloReply.with { $0.message = request.name }
        }
        try await withServer(server) { endpoint in
            let typed = try await curl(endpoint + "/replaced/a")
            #expect(typed.status == 500)
            let json = try typed.json()
            #expect(json["reason"] as? String == "TYPE_MISMATCH")
            #expect(json["message"] as? String == "/test.Greeter/Replaced: the request is String, not Kratos_Test_V1_HelloRequest")
            let raw = try await curl(endpoint + "/raw")
            #expect(raw.status == 500)
            #expect(try raw.json()["message"] as? String == "/raw: the request is String, not HTTPRequest")
            // Still serving.
            let fine = try await curl(endpoint + "/fine/b")
            #expect(fine.status == 200 && fine.text == #"{"message":"b"}"#)
        }
    }

    @Test func aClientMiddlewareThatReplacesTheBodyOrReplyFailsTheCall() async throws {
        let server = loopbackServer()
        try server.route(.POST, "/v1/books", operation: "/test.Books/Create", body: .all) { (book: Book, _) in book }
        try await withServer(server) { endpoint in
            let replacing = KratosHTTPClient(.init(endpoint: endpoint), middleware: [Replace()])
            await #expect {
                _ = try await replacing.invoke(.POST, "/v1/books", operation: "/test.Books/Create", body: Book(), as: Book.self)
            } throws: { error in
                (error as? KratosError)?.message == "/test.Books/Create: the request is String, not Body"
            }
            let wrongReply = KratosHTTPClient(.init(endpoint: endpoint), middleware: [MiddlewareFunction { request, context, next in
                _ = try await next(request, context)
                return 7
            }])
            await #expect {
                _ = try await wrongReply.invoke(.POST, "/v1/books", operation: "/test.Books/Create", body: Book(), as: Book.self)
            } throws: { error in
                let kratos = error as? KratosError
                return kratos?.reason == "TYPE_MISMATCH" && kratos?.message == "/test.Books/Create: the reply is Int, not Kratos_Test_V1_Book"
            }
        }
    }
}
