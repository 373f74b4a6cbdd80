import Foundation
import Kratos
import KratosGRPC
import KratosHTTP
import KratosPrometheus
import KratosTestSupport
import Prometheus
import Testing

/// The metrics middleware on both transports, exposed at /metrics, parsed by Python's
/// prometheus_client and scraped by a real Prometheus server (Debian's `prometheus`) started by
/// the test on loopback.
@Suite(.serialized) struct MetricsTests {
    @Test func prometheusScrapesTheRequestCountsOfBothTransports() async throws {
        let registry = PrometheusCollectorRegistry()
        // Inside Recovery, as the template has it: a plain error counts as 500 with no reason, as
        // go-kratos counts it (errors.FromError gives UnknownReason "").
        let middleware: [any Middleware] = [Recovery(), MetricsMiddleware(factory: KratosPrometheus.factory(registry: registry))]
        let http = loopbackServer(middleware: middleware)
        try TestGreeter().register(on: http)
        try http.serveMetrics(registry)
        try await withServer(http) { httpEndpoint in
            try await withGreeterServer(middleware: middleware) { _, grpcEndpoint in
                for name in ["a", "b", "c"] { #expect(try await curl(httpEndpoint + "/helloworld/" + name).status == 200) }
                for _ in 0..<2 { #expect(try await curl(httpEndpoint + "/helloworld/missing").status == 404) }
                #expect(try await curl(httpEndpoint + "/helloworld/boom").status == 500)
                // The gRPC calls through a client with the client-side middleware, into the same registry.
                let clientMetrics = MetricsMiddleware(side: .client, factory: KratosPrometheus.factory(registry: registry))
                try await KratosGRPCClient.with(.init(endpoint: grpcEndpoint), middleware: [clientMetrics]) { client in
                    let greeter = Kratos_Test_V1_GreeterGRPCClient(client)
                    for name in ["x", "y"] { _ = try await greeter.sayHello(.with { $0.name = name }) }
                    await #expect(throws: KratosError.self) { try await greeter.sayHello(.with { $0.name = "missing" }) }
                }
                let operation = "/kratos.test.v1.Greeter/SayHello"
                let expected: [String: Double] = [
                    "http|\(operation)|200|": 3, "http|\(operation)|404|USER_NOT_FOUND": 2, "http|\(operation)|500|": 1,
                    "grpc|\(operation)|200|": 2, "grpc|\(operation)|404|USER_NOT_FOUND": 1,
                ]

                // The exposition, as Prometheus's own Python client reads it.
                let exposition = try await curl(httpEndpoint + "/metrics")
                #expect(exposition.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8")
                let parsed = try await Self.parse(exposition.text)
                #expect(parsed.counts == expected, "\(exposition.text)")
                #expect(parsed.clientCounts == ["grpc|\(operation)|200|": 2, "grpc|\(operation)|404|USER_NOT_FOUND": 1], "\(exposition.text)")
                #expect(parsed.histograms.contains("client_requests_seconds|grpc|\(operation)"))
                #expect(parsed.histograms.contains("server_requests_seconds|http|\(operation)"))
                #expect(parsed.histograms.contains("server_requests_seconds|grpc|\(operation)"))

                // A real Prometheus scrapes it; its query API returns the same counts.
                let prometheus = try PrometheusServer(scraping: String(httpEndpoint.dropFirst("http://".count)))
                defer { prometheus.stop() }
                let counts = try await prometheus.vector("server_requests_code_total", until: { $0.count == expected.count })
                #expect(counts == expected)
                let buckets = try await prometheus.vector("server_requests_seconds_bucket", until: { !$0.isEmpty })
                // 8 buckets and +Inf, per transport.
                #expect(buckets.count == 18, "\(buckets)")
            }
        }
    }

    /// Counters and histograms from prometheus_client's text parser.
    static func parse(_ text: String) async throws -> (counts: [String: Double], clientCounts: [String: Double], histograms: Set<String>) {
        let script = """
            import sys, json
            from prometheus_client.parser import text_string_to_metric_families
            counts, client_counts, histograms = {}, {}, []
            for family in text_string_to_metric_families(sys.stdin.read()):
                for sample in family.samples:
                    labels = sample.labels
                    if family.name in ("server_requests_code", "client_requests_code") and sample.name.endswith("_total"):
                        key = "|".join([labels["kind"], labels["operation"], labels["code"], labels["reason"]])
                        (counts if family.name.startswith("server") else client_counts)[key] = sample.value
                    if family.type == "histogram" and sample.name.endswith("_bucket"):
                        histograms.append("|".join([family.name, labels["kind"], labels["operation"]]))
            print(json.dumps({"counts": counts, "client": client_counts, "histograms": sorted(set(histograms))}))
            """
        let input = FileManager.default.temporaryDirectory.appendingPathComponent("exposition-\(UUID().uuidString).txt")
        try text.write(to: input, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: input) }
        let output = try await runProcess("/bin/sh", ["-c", "python3 -c \"$0\" < \"$1\"", script, input.path])
        guard output.status == 0 else {
            throw ProcessFailure(description: "prometheus_client failed: \(String(decoding: output.stderr, as: UTF8.self))")
        }
        let json = try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any] ?? [:]
        return ((json["counts"] as? [String: Double]) ?? [:], (json["client"] as? [String: Double]) ?? [:],
                Set((json["histograms"] as? [String]) ?? []))
    }
}

/// Debian's Prometheus server on a loopback port, scraping one target every second, in a
/// temporary directory; stopped by `stop()`.
final class PrometheusServer: @unchecked Sendable {
    let process = Process()
    let directory: URL
    let address: String

    init(scraping target: String) throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("prometheus-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        address = "127.0.0.1:\(try freePorts(1)[0])"
        let config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: kratos
                static_configs:
                  - targets: ["\(target)"]
            """
        try config.write(to: directory.appendingPathComponent("prometheus.yml"), atomically: true, encoding: .utf8)
        process.executableURL = URL(fileURLWithPath: "/usr/bin/prometheus")
        process.arguments = [
            "--config.file=\(directory.appendingPathComponent("prometheus.yml").path)",
            "--storage.tsdb.path=\(directory.appendingPathComponent("data").path)",
            "--web.listen-address=\(address)",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = try FileHandle(forWritingTo: {
            let log = directory.appendingPathComponent("prometheus.log")
            FileManager.default.createFile(atPath: log.path, contents: nil)
            return log
        }())
        try process.run()
    }

    /// SIGKILL: the test process ignores SIGTERM (ServiceLifecycle handles it), and children
    /// inherit an ignored signal.
    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// The instant vector of `query`, as "kind|operation|code|reason" (or "kind|operation|le")
    /// → value, once `done` holds (within 60 s).
    func vector(_ query: String, until done: ([String: Double]) -> Bool) async throws -> [String: Double] {
        let deadline = ContinuousClock.now + .seconds(60)
        var last: [String: Double] = [:]
        while ContinuousClock.now < deadline {
            if let reply = try? await curl("http://\(address)/api/v1/query?query=\(query)"), reply.status == 200,
               let json = try? reply.json(), let data = json["data"] as? [String: Any], let results = data["result"] as? [[String: Any]] {
                last = [:]
                for result in results {
                    let labels = result["metric"] as? [String: String] ?? [:]
                    // Prometheus keeps no empty label: a missing reason is "".
                    let names = labels["le"] == nil ? ["kind", "operation", "code", "reason"] : ["kind", "operation", "le"]
                    let key = names.map { labels[$0] ?? "" }.joined(separator: "|")
                    let value = (result["value"] as? [Any])?.last as? String
                    last[key] = value.flatMap(Double.init)
                }
                if done(last) { return last }
            }
            try await Task.sleep(for: .milliseconds(250))
        }
        let log = (try? String(contentsOf: directory.appendingPathComponent("prometheus.log"), encoding: .utf8)) ?? ""
        throw ProcessFailure(description: "Prometheus did not return \(query) in time (last: \(last)):\n\(log.suffix(2000))")
    }
}
