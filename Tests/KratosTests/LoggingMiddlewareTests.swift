import KratosTestSupport
import Logging
import Synchronization
import Testing
@testable import Kratos

@Suite struct LoggingMiddlewareTests {
    @Test func logsTheKratosKeys() async throws {
        let capture = LogCapture()
        let context = RequestContext(kind: .grpc, endpoint: "grpc://127.0.0.1:9000", operation: "/helloworld.v1.Greeter/SayHello",
                                     logger: capture.logger)
        let ok = MiddlewareChain(LoggingMiddleware()).wrap { request, _ in request }
        _ = try await ok("kratos", context)
        let failing = MiddlewareChain(LoggingMiddleware()).wrap { _, _ in throw KratosError.notFound("USER_NOT_FOUND", "no user") }
        _ = try? await failing("ann", context)

        let records = capture.records.map { ($0.level, $0.metadata) }
        #expect(records.count == 2)
        let (level, metadata) = records[0]
        #expect(level == .info)
        #expect(metadata["kind"] == "grpc" && metadata["component"] == "server")
        #expect(metadata["operation"] == "/helloworld.v1.Greeter/SayHello" && metadata["args"] == "kratos")
        // 200 on success, as the metrics count it (go-kratos writes 0).
        #expect(metadata["code"] == "200" && metadata["reason"] == "")
        #expect(Double("\(metadata["latency"]!)") != nil)
        let (errorLevel, errorMetadata) = records[1]
        #expect(errorLevel == .error)
        #expect(errorMetadata["code"] == "404" && errorMetadata["reason"] == "USER_NOT_FOUND" && errorMetadata["stack"] != nil)
    }

    /// `args` is one line a collector can take: a message as compact protojson, a multi-line
    /// description joined, and a Redacter's own form instead of its secrets.
    @Test func argumentsAreOneLineAndRedactable() throws {
        struct Login: Redacter, Sendable {
            var user: String
            var password: String
            func redact() -> String { "{\"user\":\"\(user)\",\"password\":\"***\"}" }
        }
        let book = Kratos_Test_V1_Book.with { $0.id = "b1"; $0.title = "two\nlines" }
        #expect(LoggingMiddleware.arguments(book) == #"{"id":"b1","title":"two\nlines"}"#)
        #expect(LoggingMiddleware.arguments("a\nb\nc") == "a b c")
        #expect(LoggingMiddleware.arguments(Login(user: "ann", password: "hunter2")) == #"{"user":"ann","password":"***"}"#)
    }
}
