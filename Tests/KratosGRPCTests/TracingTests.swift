import Foundation
import Kratos
import KratosGRPC
import KratosHTTP
import KratosOTel
import KratosTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// Spans from two services in one trace, exported by swift-otel over OTLP/HTTP to a receiver
/// written in Python with opentelemetry-proto: an HTTP request carrying `traceparent` enters
/// service A, whose handler calls service B over gRPC through a traced client.
@Suite(.serialized) struct TracingTests {
    static let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let parent = "00f067aa0ba902b7"

    @Test func oneTraceAcrossHTTPAndGRPCWithCorrelatedLogs() async throws {
        let receiver = try OTLPReceiver()
        defer { receiver.stop() }
        // No endpoint, no exporter: nothing is bootstrapped.
        #expect(try KratosOTel.bootstrapTracing(serviceName: "kratos-test", environment: [:]) == nil)
        let exporter = try #require(try KratosOTel.bootstrapTracing(serviceName: "kratos-test", endpoint: receiver.endpoint, environment: [:]))
        let group = ServiceGroup(configuration: .init(services: [.init(service: exporter)], gracefulShutdownSignals: [],
                                                      logger: Logger(label: "otel")))
        let exporting = Task { try await group.run() }

        let lines = Mutex<[String]>([])
        let logging = KratosLogging.Configuration(level: "info", format: .logfmt)
        let handler = KratosLogging.handler(logging, app: nil, output: LogOutput { line in lines.withLock { $0.append(line) } },
                                            extraProvider: KratosOTel.logMetadata)
        let logger = Logger(label: "service-a") { _ in handler }

        // B: the greeter over gRPC, traced.
        try await withGreeterServer(middleware: [Recovery(), KratosOTel.tracingMiddleware()]) { _, grpcEndpoint in
            try await KratosGRPCClient.with(.init(endpoint: grpcEndpoint), middleware: [KratosOTel.tracingMiddleware(side: .client)]) { client in
                let greeter = Kratos_Test_V1_GreeterGRPCClient(client)
                // A: an HTTP route whose handler calls B.
                let http = loopbackServer(middleware: [Recovery(), KratosOTel.tracingMiddleware()]) { $0.logger = logger }
                try http.route(.GET, "/chain/{name}", operation: "/kratos.test.v1.Chain/Call") { (request: Kratos_Test_V1_HelloRequest, context) in
                    context.logger.info("calling the greeter", metadata: ["request.trace": "\(context.traceID ?? "-")",
                                                                         "request.span": "\(context.spanID ?? "-")"])
                    return try await greeter.sayHello(request)
                }
                try await withServer(http) { httpEndpoint in
                    let traceparent = "traceparent: 00-\(Self.trace)-\(Self.parent)-01"
                    let ok = try await curl("-H", traceparent, httpEndpoint + "/chain/kratos")
                    #expect(ok.status == 200 && ok.text == #"{"message":"Hello kratos"}"#)
                    let failed = try await curl("-H", traceparent, httpEndpoint + "/chain/missing")
                    #expect(failed.status == 404)
                }
            }
        }
        // Graceful shutdown flushes what the batch processor still holds (its delay is seconds).
        await group.triggerGracefulShutdown()
        _ = await exporting.result

        let spans = try await receiver.spans(atLeast: 6)
        #expect(Set(spans.map(\.traceID)) == [Self.trace])
        let serverA = try #require(spans.first { $0.name == "/kratos.test.v1.Chain/Call" && $0.attributes["url.path"] as? String == "/chain/kratos" })
        #expect(serverA.kind == "server" && serverA.parentID == Self.parent && serverA.service == "kratos-test")
        #expect(serverA.attributes["http.request.method"] as? String == "GET")
        #expect(serverA.attributes["http.route"] as? String == "/chain/{name}")
        #expect(serverA.attributes["http.response.status_code"] as? Int == 200)
        #expect(serverA.attributes["rpc.service"] as? String == "kratos.test.v1.Chain")
        #expect(serverA.attributes["server.address"] as? String == "127.0.0.1" && serverA.attributes["server.port"] != nil)
        let client = try #require(spans.first { $0.kind == "client" && $0.parentID == serverA.spanID })
        #expect(client.name == "/kratos.test.v1.Greeter/SayHello" && client.attributes["rpc.system"] as? String == "grpc")
        let serverB = try #require(spans.first { $0.kind == "server" && $0.parentID == client.spanID })
        #expect(serverB.attributes["rpc.service"] as? String == "kratos.test.v1.Greeter")
        #expect(serverB.attributes["rpc.method"] as? String == "SayHello")
        #expect(serverB.attributes["rpc.grpc.status_code"] as? Int == 0)
        // The failing call: error status (2) and the reason as error.type, on every span of it.
        let failedB = try #require(spans.first { $0.kind == "server" && $0.attributes["rpc.grpc.status_code"] as? Int == 5 })
        #expect(failedB.status == 2 && failedB.attributes["error.type"] as? String == "USER_NOT_FOUND" && failedB.events.contains("exception"))
        let failedA = try #require(spans.first { $0.attributes["url.path"] as? String == "/chain/missing" })
        #expect(failedA.status == 2 && failedA.attributes["http.response.status_code"] as? Int == 404)

        // The handler's log line carries the server span's ids, as RequestContext names them.
        let logged = try #require(lines.withLock { $0 }.first { $0.contains("calling the greeter") && $0.contains(serverA.spanID) })
        #expect(logged.contains("trace.id=\(Self.trace)") && logged.contains("span.id=\(serverA.spanID)"), "\(logged)")
        #expect(logged.contains("request.trace=\(Self.trace)") && logged.contains("request.span=\(serverA.spanID)"), "\(logged)")
    }
}

