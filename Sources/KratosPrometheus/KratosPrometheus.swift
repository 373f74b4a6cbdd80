import CoreMetrics
import Kratos
import KratosHTTP
import NIOCore
import NIOHTTP1
@_exported import Prometheus

/// Prometheus for Kratos services: swift-prometheus as the swift-metrics backend, and the
/// exposition served on a Kratos HTTP server.
///
/// ```swift
/// let registry = KratosPrometheus.bootstrap()          // once, in main
/// try httpServer.serveMetrics(registry)                 // GET /metrics
/// ```
public enum KratosPrometheus {
    /// go-kratos's request-latency buckets, in seconds: .005 .01 .025 .05 .1 .25 .5 1.
    public static let requestBuckets: [Duration] = [
        .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100),
        .milliseconds(250), .milliseconds(500), .seconds(1),
    ]

    /// A swift-metrics factory writing into `registry`, with `buckets` for the request timers of
    /// ``MetricsMiddleware`` (server and client) and every other timer.
    public static func factory(registry: PrometheusCollectorRegistry, buckets: [Duration] = requestBuckets) -> PrometheusMetricsFactory {
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.defaultDurationHistogramBuckets = buckets
        return factory
    }

    /// Bootstraps swift-metrics with swift-prometheus (the process's one metrics bootstrap: call
    /// it once, in `main`) and returns the registry to serve.
    @discardableResult
    public static func bootstrap(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                                 buckets: [Duration] = requestBuckets) -> PrometheusCollectorRegistry {
        MetricsSystem.bootstrap(factory(registry: registry, buckets: buckets))
        return registry
    }
}

extension KratosHTTPServer {
    /// Serves `registry` in Prometheus's text format 0.0.4 at `GET path` (default `/metrics`),
    /// outside the server's middleware: scrapes are not counted, traced or logged as requests.
    public func serveMetrics(_ registry: PrometheusCollectorRegistry, at path: String = "/metrics") throws {
        try handle(.GET, path) { _ in
            var bytes: [UInt8] = []
            bytes.reserveCapacity(4096)
            registry.emit(into: &bytes)
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: "text/plain; version=0.0.4; charset=utf-8")
            return HTTPResponse(status: .ok, headers: headers, body: ByteBuffer(bytes: bytes))
        }
    }
}
