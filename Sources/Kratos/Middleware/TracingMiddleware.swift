import Logging
import ServiceContextModule
import Synchronization
import Tracing

/// A span per request on swift-distributed-tracing, for servers and clients of both transports,
/// with OpenTelemetry's semantic conventions; any tracer bootstrapped in `InstrumentationSystem`
/// (swift-otel's through `KratosOTel`) receives them.
///
/// - Server: a span of kind server named by the operation, child of the W3C `traceparent` (and
///   `tracestate`) the request carries in its HTTP headers or gRPC metadata. The handler runs
///   with the span's context as the task's `ServiceContext`, so spans it starts nest under it,
///   and ``RequestContext/traceID``/``RequestContext/spanID`` name it.
/// - Client: a span of kind client per call, its `traceparent` injected into the outgoing request.
///
/// Attributes: `rpc.system` (`grpc`), `rpc.service`, `rpc.method`, `rpc.grpc.status_code`;
/// `http.request.method`, `http.route`, `url.path`, `http.response.status_code`;
/// `server.address`, `server.port`; `error.type` (the framework reason) on failure, when the span's
/// status is error and the error is recorded.
public struct TracingMiddleware: Middleware {
    /// Which side of a call the middleware traces.
    public enum Side: Sendable {
        case server
        case client
    }

    public let side: Side
    /// The tracer given, and whether it is the no-op one.
    let tracer: (tracer: any Tracer, noOp: Bool)?
    let ids: Logger.MetadataProvider?
    private let bootstrapped = BootstrappedTracer()

    /// - Parameters:
    ///   - tracer: default the bootstrapped `InstrumentationSystem.tracer`, looked up when a
    ///     server binds its routes (or on the first request, called directly) and kept: bootstrap
    ///     the system before serving, as swift-distributed-tracing asks.
    ///   - ids: reads the span's trace and span id (as `trace.id` and `span.id`) from the task's
    ///     context, for ``RequestContext/traceID`` (`KratosOTel.logMetadata` for swift-otel).
    public init(side: Side = .server, tracer: (any Tracer)? = nil, ids: Logger.MetadataProvider? = nil) {
        self.side = side
        self.tracer = tracer.map { ($0, $0 is NoOpTracer) }
        self.ids = ids
    }

    /// With the no-op tracer (none given, and none bootstrapped when the server binds its routes)
    /// nothing is extracted, started or injected: the chain gets `next` itself, with no layer.
    public func wrapping(_ next: @escaping Handler) -> Handler {
        if (tracer ?? bootstrapped.tracer).noOp { return next }
        return { request, context in try await handle(request, context: context, next: next) }
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        let (tracer, noOp) = self.tracer ?? bootstrapped.tracer
        // swift-distributed-tracing's no-op tracer (none bootstrapped) extracts, starts and injects
        // nothing: the request goes straight on, without a span to bind as the task's context.
        if noOp { return try await next(request, context) }
        var parent = ServiceContext.current ?? .topLevel
        if side == .server {
            tracer.extract(context.requestHeaders, into: &parent, using: HeaderExtractor())
        }
        let span = tracer.startSpan(context.operation, context: parent, ofKind: side == .server ? .server : .client)
        // A span that is not recorded (not sampled, or no tracer) gets no attributes: they would be
        // computed for nothing on every request.
        let recording = span.isRecording
        if recording { Self.describe(span, context: context) }
        if side == .client {
            var outgoing = Headers()
            tracer.inject(span.context, into: &outgoing, using: HeaderInjector())
            for (name, value) in outgoing.fields { context.setOutgoingHeader(name, value) }
        }
        if side == .server, recording, let ids {
            ServiceContext.withValue(span.context) {
                let metadata = ids.get()
                if case .string(let trace)? = metadata["trace.id"], case .string(let spanID)? = metadata["span.id"] {
                    context.setTrace(id: trace, spanID: spanID)
                }
            }
        }
        do {
            let reply = try await ServiceContext.withValue(span.context) { try await next(request, context) }
            if recording { Self.finish(span, context: context, error: nil) }
            span.end()
            return reply
        } catch {
            if recording {
                Self.finish(span, context: context, error: KratosError(error))
                span.recordError(error)
            }
            span.end()
            throw error
        }
    }

    /// The attributes known before the call.
    static func describe(_ span: any Span, context: RequestContext) {
        let parts = context.operation.split(separator: "/", omittingEmptySubsequences: true)
        if context.kind == .grpc { span.attributes["rpc.system"] = "grpc" }
        if parts.count == 2, context.operation.hasPrefix("/") {
            span.attributes["rpc.service"] = String(parts[0])
            span.attributes["rpc.method"] = String(parts[1])
        }
        if context.kind == .http {
            if let method = context.method { span.attributes["http.request.method"] = method }
            if let route = context.route { span.attributes["http.route"] = route }
            if let path = context.path { span.attributes["url.path"] = path }
        }
        let address = context.endpoint.split(separator: "://", maxSplits: 1).last.map(String.init) ?? context.endpoint
        if let colon = address.lastIndex(of: ":"), let port = Int(address[address.index(after: colon)...]) {
            span.attributes["server.address"] = String(address[..<colon].filter { $0 != "[" && $0 != "]" })
            span.attributes["server.port"] = port
        }
    }

    /// Status attributes, and the span's status on failure.
    static func finish(_ span: any Span, context: RequestContext, error: KratosError?) {
        let code = error?.code ?? 200
        switch context.kind {
        case .http: span.attributes["http.response.status_code"] = code
        case .grpc: span.attributes["rpc.grpc.status_code"] = GRPCStatusCode(httpStatus: code).rawValue
        }
        guard let error else { return }
        span.attributes["error.type"] = error.reason
        span.setStatus(SpanStatus(code: .error, message: error.message))
    }
}

/// Reads `traceparent`/`tracestate` from request headers or gRPC metadata.
struct HeaderExtractor: Extractor {
    func extract(key: String, from carrier: any HeaderFields) -> String? {
        carrier.first(key)
    }
}

/// Writes `traceparent`/`tracestate` into the headers a client sends.
struct HeaderInjector: Injector {
    func inject(_ value: String, forKey key: String, into carrier: inout Headers) {
        carrier.set(key, value)
    }
}

/// `InstrumentationSystem.tracer`, looked up once, and whether it is the no-op tracer.
private final class BootstrappedTracer: Sendable {
    private let found = Mutex<(tracer: any Tracer, noOp: Bool)?>(nil)

    var tracer: (tracer: any Tracer, noOp: Bool) {
        found.withLock { found in
            if let found { return found }
            let tracer = InstrumentationSystem.tracer
            found = (tracer, tracer is NoOpTracer)
            return (tracer, tracer is NoOpTracer)
        }
    }
}
