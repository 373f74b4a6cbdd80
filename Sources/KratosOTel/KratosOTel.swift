import Foundation
import Kratos
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// OpenTelemetry export for Kratos services, on swift-otel: the tracer the ``TracingMiddleware``
/// reports to, sending spans over OTLP, and the trace ids for log lines.
///
/// ```swift
/// if let exporter = try KratosOTel.bootstrapTracing(serviceName: "helloworld") {
///     services.append(exporter)                        // runs in the app's group, flushes on stop
/// }
/// KratosLogging.bootstrap(config.log, app: info, extraProvider: KratosOTel.logMetadata)
/// ```
public enum KratosOTel {
    /// `trace.id` and `span.id` of the task's current span (go-kratos's `tracing.TraceID()` and
    /// `SpanID()` valuers), for log lines and ``TracingMiddleware``'s `ids`.
    public static let logMetadata: Logger.MetadataProvider = {
        var configuration = OTel.Configuration.LoggingMetadataProviderConfiguration.default
        configuration.traceIDKey = "trace.id"
        configuration.spanIDKey = "span.id"
        configuration.traceFlagsKey = "trace.flags"
        return OTel.makeLoggingMetadataProvider(configuration: configuration)
    }()

    /// The tracer middleware use once ``bootstrapTracing(serviceName:endpoint:protocol:environment:)`` ran.
    public static func tracingMiddleware(side: TracingMiddleware.Side = .server) -> TracingMiddleware {
        TracingMiddleware(side: side, ids: logMetadata)
    }

    /// Bootstraps the process's tracer (`InstrumentationSystem`, once per process) with swift-otel,
    /// exporting over OTLP to `endpoint` (the app config's `trace.endpoint`: a collector's base
    /// URL such as `http://127.0.0.1:4318`) or to what the standard variables say —
    /// `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`,
    /// `OTEL_EXPORTER_OTLP_PROTOCOL` (`http/protobuf` or `grpc`), `OTEL_SERVICE_NAME`,
    /// `OTEL_TRACES_SAMPLER`/`_ARG`, `OTEL_RESOURCE_ATTRIBUTES`, which win over the arguments.
    ///
    /// - Returns: the exporter, a ServiceLifecycle service to run in the app's group (it flushes
    ///   buffered spans on graceful shutdown); nil when no endpoint is configured, in which case
    ///   nothing is bootstrapped, exported or logged.
    public static func bootstrapTracing(serviceName: String, endpoint: String? = nil, protocol: ExportProtocol = .httpProtobuf,
                                        environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (any Service)? {
        let fromEnvironment = ["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "OTEL_EXPORTER_OTLP_ENDPOINT"]
            .compactMap { environment[$0] }.first { !$0.isEmpty }
        guard fromEnvironment != nil || (endpoint.map { !$0.isEmpty } ?? false) else { return nil }
        var configuration = OTel.Configuration.default
        configuration.serviceName = serviceName
        configuration.logs.enabled = false
        configuration.metrics.enabled = false
        configuration.traces.enabled = true
        configuration.traces.exporter = .otlp
        switch `protocol` {
        case .httpProtobuf:
            configuration.traces.otlpExporter.protocol = .httpProtobuf
            if let endpoint, !endpoint.isEmpty {
                configuration.traces.otlpExporter.endpoint = endpoint.hasSuffix("/v1/traces")
                    ? endpoint : (endpoint.hasSuffix("/") ? endpoint + "v1/traces" : endpoint + "/v1/traces")
            }
        case .grpc:
            configuration.traces.otlpExporter.protocol = .grpc
            if let endpoint, !endpoint.isEmpty { configuration.traces.otlpExporter.endpoint = endpoint }
        }
        let backend = try OTel.makeTracingBackend(configuration: configuration)
        InstrumentationSystem.bootstrap(backend.factory)
        return backend.service
    }

    /// How spans travel to the collector.
    public enum ExportProtocol: String, Sendable, Decodable {
        /// OTLP/HTTP with protobuf bodies (port 4318 by convention).
        case httpProtobuf = "http/protobuf"
        /// OTLP/gRPC (port 4317 by convention).
        case grpc
    }
}
