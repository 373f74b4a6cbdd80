import Foundation

/// A span as the Python receiver wrote it.
public struct ReceivedSpan: @unchecked Sendable {
    public var service: String
    public var traceID: String
    public var spanID: String
    public var parentID: String
    public var name: String
    public var kind: String
    public var attributes: [String: Any]
    public var status: Int
    public var events: [String]
}

/// Tests/KratosTestSupport/Python/otlp_receiver.py (an OTLP trace receiver written with
/// opentelemetry-proto, over HTTP or, with grpcio, gRPC) on a loopback port; `endpoint` is its
/// base URL.
public final class OTLPReceiver: @unchecked Sendable {
    let process = Process()
    let output: URL
    public private(set) var endpoint = ""

    public init(grpc: Bool = false) throws {
        output = FileManager.default.temporaryDirectory.appendingPathComponent("spans-\(UUID().uuidString.prefix(8)).jsonl")
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Python/otlp_receiver.py")
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, output.path, grpc ? "grpc" : "http"]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let port = String(decoding: pipe.fileHandleForReading.availableData, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard Int(port) != nil else { throw ProcessFailure(description: "the OTLP receiver did not start: \(port)") }
        endpoint = "http://127.0.0.1:\(port)"
    }

    /// SIGKILL: the test process ignores SIGTERM (ServiceLifecycle handles it), and children
    /// inherit an ignored signal.
    public func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: output)
    }

    /// The spans received, once there are at least `count` (within 30 s).
    public func spans(atLeast count: Int) async throws -> [ReceivedSpan] {
        let deadline = ContinuousClock.now + .seconds(30)
        var spans: [ReceivedSpan] = []
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
            spans = text.split(separator: "\n").compactMap { line in
                guard let json = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
                return ReceivedSpan(service: json["service"] as? String ?? "", traceID: json["trace_id"] as? String ?? "",
                                    spanID: json["span_id"] as? String ?? "", parentID: json["parent_span_id"] as? String ?? "",
                                    name: json["name"] as? String ?? "", kind: json["kind"] as? String ?? "",
                                    attributes: json["attributes"] as? [String: Any] ?? [:], status: json["status"] as? Int ?? -1,
                                    events: json["events"] as? [String] ?? [])
            }
            if spans.count >= count { return spans }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ProcessFailure(description: "the receiver got \(spans.count) spans, not \(count): \(spans.map(\.name))")
    }
}
