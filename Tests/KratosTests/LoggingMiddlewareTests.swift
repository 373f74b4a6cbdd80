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

    /// On Kratos's own handler the middleware's record skips swift-log's metadata dictionary;
    /// the line is the one the dictionary path writes: handler fields merged in key order, the
    /// record's winning over the handler's of the same key, masked keys masked.
    @Test func sortedRecordsWriteWhatTheMetadataPathWrites() throws {
        let lines = Mutex<[String]>([])
        let output = LogOutput { line in lines.withLock { $0.append(line) } }
        let app = AppInfo(id: "i-1", name: "greeter", version: "v1")
        for format in [KratosLogHandler.Format.logfmt, .json] {
            let handler = KratosLogging.handler(.init(level: "info", format: format, mask: ["password"]), app: app, output: output)
            let logger = Logger(label: "test") { _ in handler }
            let fields = [("args", "{\"name\":\"a b\"}"), ("code", "200"), ("password", "hunter2"), ("service.name", "mine"), ("zeta", "")]
            logger.log(.info, "server request", sorted: fields, file: "Kratos/Logging.swift", line: 7)
            logger.log(level: .info, "server request", metadata: Dictionary(uniqueKeysWithValues: fields.map { ($0.0, .string($0.1)) }),
                       file: "Kratos/Logging.swift", function: "", line: 7)
            logger.log(.debug, "below the level", sorted: fields)
        }
        // The timestamps may differ by a millisecond.
        let written = lines.withLock { $0 }.map { $0.replacing(/ts=\S+|"ts":"[^"]+"/, with: "ts") }
        #expect(written.count == 4)
        #expect(written[0] == written[1] && written[2] == written[3])
        #expect(written[0] == #"level=INFO ts caller=Logging.swift:7 msg="server request" args="{\"name\":\"a b\"}" code=200 password=*** service.id=i-1 service.name=mine service.version=v1 zeta="""#)
        #expect(written[2].hasPrefix(#"{"level":"INFO",ts,"caller":"Logging.swift:7","msg":"server request","args":"#))
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
