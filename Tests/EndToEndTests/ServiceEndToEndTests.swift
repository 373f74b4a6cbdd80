import Foundation
import class KratosTestSupport.EtcdCluster
import class KratosTestSupport.OTLPReceiver
import Synchronization
import Testing

/// The path a new user takes, with the kratos binary (`KRATOS_BIN`, set by Scripts/test to the
/// installed one) in a temporary directory: `kratos new helloworld`, `kratos run`, curl and Python
/// grpcio against it, SIGTERM; then a second API through `kratos proto add|client|server`,
/// `--watch` picking up an edit, and the project's own `swift test`.
@Suite(.serialized) struct ServiceEndToEndTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func newRunServeStopAndASecondAPI() async throws {
        let project = try await Project.create()
        defer { project.remove() }

        // kratos run: the first build of the project is cold (minutes); then the service answers.
        let coldStart = ContinuousClock.now
        var service = try project.run(["--", "-conf", project.testConfig.path])
        let (http, grpc) = try await service.endpoints(within: .seconds(1500))
        print("end-to-end: cold build and start of the new project took \(ContinuousClock.now - coldStart)")
        // The HTTP address came from E2E_HTTP_ADDR through `${E2E_HTTP_ADDR:0.0.0.0:8000}`.
        #expect(http.hasPrefix("http://127.0.0.1:") && !http.hasSuffix(":8000"), "\(http)")
        let hello = try await curl(["-i", http + "/helloworld/kratos"])
        #expect(hello.status == 200)
        #expect(hello.headers["content-type"]?.hasPrefix("application/json") == true)
        #expect(hello.body == #"{"message":"Hello kratos"}"#)
        let missing = try await curl(["-i", http + "/no/such/path"])
        #expect(missing.status == 404)
        #expect(missing.body.contains(#""code":404"#) && missing.body.contains(#""reason":"NOT_FOUND""#))
        let python = try await project.pythonGreeting(grpc)
        #expect(python == "Hello python", "grpcio said \(python)")
        // Reflection out of the box: the generated registration brought the greeter's descriptors.
        let reflected = try await project.pythonReflection(grpc)
        #expect(reflected.contains("helloworld.v1.Greeter") && reflected.hasSuffix(" helloworld.v1.HelloRequest"), "\(reflected)")

        // Metrics on by default: GET /metrics counts the greeting. No OTEL_* set: nothing is
        // exported and nothing is logged as an error.
        let metrics = try await curl([http + "/metrics"])
        #expect(metrics.body.contains(#"server_requests_code_total{kind="http",operation="/helloworld.v1.Greeter/SayHello",code="200",reason=""} 1"#),
                "\(metrics.body.prefix(2000))")
        #expect(!service.log.contains("level=ERROR"), "\(service.log.suffix(2000))")
        // HelloRequest.name is 1 to 64 characters (buf.validate in the template's proto): 400
        // VALIDATOR (logged as a failed request, hence after the check above).
        let long = try await curl(["-i", http + "/helloworld/" + String(repeating: "x", count: 65)])
        #expect(long.status == 400 && long.body.contains(#""reason":"VALIDATOR""#) && long.body.contains("string.max_len"), "\(long.body)")

        // The API's OpenAPI document and Swagger UI; schemathesis fuzzes the service from the
        // document and finds no server error and no reply the document does not describe (after
        // the checks above: its invalid requests are counted and logged as failed).
        #expect(try await curl(["-i", http + "/q/swagger-ui"]).status == 200)
        let fuzzed = try await runProcess("/usr/bin/env", [
            "schemathesis", "run", http + "/q/openapi.json", "--url", http, "--checks", "all",
            "--max-examples", "50", "--seed", "1", "--generation-database", "none", "--workers", "1", "--no-color",
        ], in: FileManager.default.temporaryDirectory)
        #expect(fuzzed.status == 0, "\(fuzzed.stdout.suffix(3000))")

        // SIGTERM: kratos passes it on; the service stops gracefully and kratos exits 0 within 5 s.
        let stopped = try await service.terminate()
        #expect(stopped.status == 0)
        #expect(stopped.seconds < 5)

        try await registration(project)

        // The OTLP exporter is one line of Package.swift away (off by default: it costs swift-otel's
        // build). With it and OTEL_EXPORTER_OTLP_ENDPOINT the template exports its spans over OTLP/HTTP; the span
        // of a request carrying traceparent is in that trace, SIGTERM flushes it to the receiver
        // (the batch would wait seconds), and the request's log line names the trace and span.
        try project.enableOTLPExport()
        let receiver = try OTLPReceiver()
        defer { receiver.stop() }
        let traced = try project.run(["--", "-conf", project.testConfig.path], environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": receiver.endpoint])
        let (tracedHTTP, _) = try await traced.endpoints(within: .seconds(600))
        let trace = "4bf92f3577b34da6a3ce929d0e0e4736"
        #expect(try await curl(["-i", "-H", "traceparent: 00-\(trace)-00f067aa0ba902b7-01", tracedHTTP + "/helloworld/otel"]).status == 200)
        #expect(try await traced.terminate().status == 0)
        let spans = try await receiver.spans(atLeast: 1)
        let span = try #require(spans.first { $0.traceID == trace }, "\(spans)")
        #expect(span.parentID == "00f067aa0ba902b7" && span.kind == "server" && span.service == "helloworld")
        #expect(traced.log.contains("trace.id=\(trace)") && traced.log.contains("span.id=\(span.spanID)"), "\(traced.log.suffix(2000))")
        // The same over OTLP/gRPC, as OTEL_EXPORTER_OTLP_PROTOCOL picks it.
        let grpcReceiver = try OTLPReceiver(grpc: true)
        defer { grpcReceiver.stop() }
        let tracedGRPC = try project.run(["--", "-conf", project.testConfig.path], environment: [
            "OTEL_EXPORTER_OTLP_ENDPOINT": grpcReceiver.endpoint, "OTEL_EXPORTER_OTLP_PROTOCOL": "grpc",
        ])
        let (grpcTracedHTTP, _) = try await tracedGRPC.endpoints(within: .seconds(600))
        #expect(try await curl(["-i", "-H", "traceparent: 00-\(trace)-00f067aa0ba902b8-01", grpcTracedHTTP + "/helloworld/otlp-grpc"]).status == 200)
        #expect(try await tracedGRPC.terminate().status == 0)
        let grpcSpans = try await grpcReceiver.spans(atLeast: 1)
        #expect(grpcSpans.contains { $0.traceID == trace && $0.parentID == "00f067aa0ba902b8" }, "\(grpcSpans)")

        // A second API, generated and wired in.
        try project.kratos("proto", "add", "api/helloworld/v1/demo.proto")
        try project.kratos("proto", "client", "api")
        try project.kratos("proto", "server", "api/helloworld/v1/demo.proto", "-t", "Sources/Helloworld/Service")
        // And a proto with several services, every streaming kind, google.protobuf.Empty and HTTP
        // rules: generated, stubbed, compiled with the rest.
        try """
            syntax = "proto3";
            package helloworld.v1;
            import "google/api/annotations.proto";
            import "google/protobuf/empty.proto";
            message Item { string id = 1; string title = 2; }
            service Catalog {
              rpc GetItem(Item) returns (Item) { option (google.api.http) = {get: "/v1/items/{id}"}; }
              rpc Clear(google.protobuf.Empty) returns (google.protobuf.Empty) { option (google.api.http) = {delete: "/v1/items"}; }
              rpc Watch(google.protobuf.Empty) returns (stream Item);
            }
            service Cart {
              rpc Fill(stream Item) returns (google.protobuf.Empty);
              rpc Sync(stream Item) returns (stream Item);
            }
            """.write(to: project.directory.appendingPathComponent("api/helloworld/v1/shop.proto"), atomically: true, encoding: .utf8)
        try project.kratos("proto", "client", "api/helloworld/v1/shop.proto")
        try project.kratos("proto", "server", "api/helloworld/v1/shop.proto", "-t", "Sources/Helloworld/Service")
        try project.edit("Sources/Helloworld/Service/Demo.swift") {
            $0.replacingOccurrences(of: "throw KratosError(code: 501, reason: \"NOT_IMPLEMENTED\", message: \"Demo.GetDemo is not implemented yet\")",
                                    with: "return .init()")
        }
        try project.edit("Sources/Helloworld/App.swift") {
            $0.replacingOccurrences(of: "    return KratosApp(", with: """
                    try Demo().register(on: http)
                    try Demo().register(on: grpc)
                    try Catalog().register(on: http)
                    try Catalog().register(on: grpc)
                    try Cart().register(on: grpc)
                    return KratosApp(
                """)
        }
        service = try project.run(["--", "-conf", project.testConfig.path])
        let (http2, _) = try await service.endpoints(within: .seconds(600))
        let demo = try await curl(["-i", http2 + "/helloworld/v1/demos/7"])
        #expect(demo.status == 200, "\(demo.body)")
        let unimplemented = try await curl(["-i", "-X", "DELETE", http2 + "/helloworld/v1/demos/7"])
        #expect(unimplemented.status == 501 && unimplemented.body.contains("NOT_IMPLEMENTED"))
        let item = try await curl(["-i", http2 + "/v1/items/9"])
        #expect(item.status == 501 && item.body.contains("Catalog.GetItem is not implemented yet"))
        _ = try await service.terminate()

        // --watch: an edit of the greeting is served without restarting kratos.
        let watching = try project.run(["--watch", "--", "-conf", project.testConfig.path])
        let (http3, _) = try await watching.endpoints(within: .seconds(600))
        #expect(try await curl([http3 + "/helloworld/watch"]).body == #"{"message":"Hello watch"}"#)
        let edited = ContinuousClock.now
        try project.edit("Sources/Helloworld/Biz/GreeterUsecase.swift") {
            $0.replacingOccurrences(of: "return \"Hello \\(name)\"", with: "return \"Hi \\(name)\"")
        }
        let (http4, _) = try await watching.endpoints(within: .seconds(600), after: 1)
        #expect(try await curl([http4 + "/helloworld/watch"]).body == #"{"message":"Hi watch"}"#)
        let editToServe = ContinuousClock.now - edited
        print("end-to-end: edit → serve with kratos run --watch took \(editToServe)")
        // The edit touched the package's own sources only: kratos re-ran SwiftPM's commands itself.
        #expect(watching.log.contains("quick build"), "\(watching.log.suffix(2000))")
        #expect(try await watching.terminate().status == 0)

        // kratos run started after an edit: the quick build again, then `swift test` (SwiftPM)
        // builds on what it left.
        try project.edit("Sources/Helloworld/Biz/GreeterUsecase.swift") {
            $0.replacingOccurrences(of: "return \"Hi \\(name)\"", with: "return \"Hello \\(name)\"")
        }
        service = try project.run(["--", "-conf", project.testConfig.path])
        let (http5, _) = try await service.endpoints(within: .seconds(600))
        #expect(try await curl([http5 + "/helloworld/again"]).body == #"{"message":"Hello again"}"#)
        #expect(service.log.contains("quick build") && !service.log.contains("Planning build"), "\(service.log.suffix(2000))")
        #expect(try await service.terminate().status == 0)

        // The generated project's own tests.
        let tests = try await runProcess("/usr/bin/env", ["swift", "test"] + Project.scratchPath, in: project.directory)
        #expect(tests.status == 0, "swift test in the project failed:\n\(tests.stdout.suffix(3000))\n\(tests.stderr.suffix(3000))")
    }

    /// The config's `registry.etcd` block turns registration on, against a real etcd: the
    /// instance's JSON with both endpoints under `/microservices/`; SIGTERM removes it at once,
    /// SIGKILL after the TTL; etcd restarted with its data deleted gets it back within one TTL,
    /// twice.
    func registration(_ project: Project) async throws {
        let etcd = try await EtcdCluster()
        defer { etcd.stop() }
        let ttl = Duration.seconds(3)
        let config = try project.config(named: "registry-configs", adding: """
            registry:
              etcd:
                endpoints: ["\(etcd.endpoints[0])"]
                ttl: 3s
            """)
        func listed() async throws -> String { try await etcd.ctl("get", "--prefix", "/microservices/") }

        var service = try project.run(["--", "-conf", config.path])
        let (http, grpc) = try await service.endpoints(within: .seconds(600))
        try await poll(within: .seconds(10), "registered") { try await !listed().isEmpty }
        let lines = try await listed().split(separator: "\n").map(String.init)
        #expect(lines.count == 2 && lines[0].hasPrefix("/microservices/helloworld/"), "\(lines)")
        let value = try JSONSerialization.jsonObject(with: Data(lines[1].utf8)) as? [String: Any]
        #expect(value?["name"] as? String == "helloworld" && value?["version"] as? String == "v0.1.0", "\(lines)")
        #expect(value?["endpoints"] as? [String] == [http, grpc], "\(lines)")
        #expect(lines[0] == "/microservices/helloworld/\(value?["id"] as? String ?? "?")")
        // SIGTERM: deregistered before the process is gone.
        #expect(try await service.terminate().status == 0)
        #expect(try await listed() == "", "still listed after SIGTERM")

        // SIGKILL: nothing deregisters; the lease runs out within the TTL.
        service = try project.run(["--", "-conf", config.path])
        _ = try await service.endpoints(within: .seconds(600))
        try await poll(within: .seconds(10), "registered again") { try await !listed().isEmpty }
        try await service.killService()
        let killed = ContinuousClock.now
        #expect(try await !listed().isEmpty, "gone before its TTL")
        try await poll(within: ttl + .seconds(3), "removed after the TTL") { try await listed().isEmpty }
        print("end-to-end: a SIGKILLed instance left etcd after \(ContinuousClock.now - killed) (TTL \(ttl))")

        // etcd restarted with its data deleted, twice: registered again within one TTL each time.
        service = try project.run(["--", "-conf", config.path])
        _ = try await service.endpoints(within: .seconds(600))
        try await poll(within: .seconds(10), "registered a third time") { try await !listed().isEmpty }
        // The instance's lease: a new etcd knows nothing of the old one, so a new lease says it
        // registered again.
        func lease() async throws -> String? {
            try await etcd.ctl("get", "--prefix", "/microservices/", "-w", "fields").split(separator: "\n")
                .first { $0.hasPrefix("\"Lease\" : ") }.map { String($0.dropFirst("\"Lease\" : ".count)) }
        }
        var previous = try await lease()
        #expect(previous != nil)
        for round in 1...2 {
            try await etcd.restart(0, wipingData: true)
            let back = try await poll(within: ttl, "round \(round): registered again in the new etcd") {
                let now = try await lease()
                return now != nil && now != previous
            }
            previous = try await lease()
            print("end-to-end: etcd wiped (round \(round)): registered again \(back) after etcd answered")
        }
        #expect(try await service.terminate().status == 0)
        #expect(try await listed() == "")
        #expect(!service.log.contains("level=ERROR"), "\(service.log.suffix(2000))")
    }
}

/// Polls `condition` every 50 ms until it holds; how long that took. Fails after `limit`.
@discardableResult
func poll(within limit: Duration, _ what: String, _ condition: () async throws -> Bool) async throws -> Duration {
    let start = ContinuousClock.now
    while ContinuousClock.now - start < limit {
        if (try? await condition()) == true { return ContinuousClock.now - start }
        try await Task.sleep(for: .milliseconds(50))
    }
    throw E2EFailure("\(what): not within \(limit)")
}
