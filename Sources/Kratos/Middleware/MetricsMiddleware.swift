import CoreMetrics
import Synchronization

/// Counts and times requests on swift-metrics, under go-kratos's names, for servers and clients
/// of both transports:
///
/// - `server_requests_code_total{kind, operation, code, reason}` (a counter), and
/// - `server_requests_seconds{kind, operation}` (a timer: a histogram in seconds with
///   swift-prometheus), or `client_requests_…` on a client, `operation` being the called
///   `/package.Service/Method`.
///
/// `code` is the framework's HTTP-style code on both transports, so one dashboard serves both:
/// `200` on success (go-kratos writes `0` there), the error's code and reason otherwise. A
/// streaming call is counted when it ends. Any swift-metrics backend works; without one
/// bootstrapped, the calls cost next to nothing.
///
/// ```swift
/// let server = KratosHTTPServer(configuration, middleware: [Recovery(), MetricsMiddleware()])
/// ```
public struct MetricsMiddleware: Middleware {
    /// Which side of a call the middleware measures; it names the metrics.
    public enum Side: String, Sendable {
        case server
        case client
    }

    public let side: Side
    private let instruments: Instruments

    /// - Parameter factory: the swift-metrics backend; default the bootstrapped `MetricsSystem`'s.
    public init(side: Side = .server, factory: (any MetricsFactory)? = nil) {
        self.side = side
        instruments = Instruments(prefix: side.rawValue, factory: factory)
    }

    public func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
        do {
            let reply = try await next(request, context)
            instruments.record(context: context, code: 200, reason: "", since: context.received)
            return reply
        } catch {
            let kratos = KratosError(error)
            instruments.record(context: context, code: kratos.code, reason: kratos.reason, since: context.received)
            throw error
        }
    }

    /// The counters and timers made so far, by their dimensions: swift-metrics asks its factory
    /// for a metric on every `init`, so they are made once. One lookup per request finds the
    /// operation's timer and success counter; errors look up their code and reason after that.
    final class Instruments: Sendable {
        let counterLabel: String
        let timerLabel: String
        let factory: (any MetricsFactory)?
        private let series = Mutex<[SeriesKey: Series]>([:])

        struct SeriesKey: Hashable {
            var kind: TransportKind
            var operation: String
        }

        /// One operation's metrics.
        final class Series: Sendable {
            let timer: Timer
            let success: Counter
            let errors = Mutex<[ErrorKey: Counter]>([:])

            init(timer: Timer, success: Counter) {
                self.timer = timer
                self.success = success
            }
        }

        struct ErrorKey: Hashable {
            var code: Int
            var reason: String
        }

        init(prefix: String, factory: (any MetricsFactory)?) {
            counterLabel = prefix + "_requests_code_total"
            timerLabel = prefix + "_requests_seconds"
            self.factory = factory
        }

        func record(context: RequestContext, code: Int, reason: String, since start: ContinuousClock.Instant) {
            let (seconds, attoseconds) = (ContinuousClock.now - start).components
            let nanoseconds = seconds * 1_000_000_000 + attoseconds / 1_000_000_000
            let series = series(SeriesKey(kind: context.kind, operation: context.operation))
            series.timer.recordNanoseconds(nanoseconds)
            if code == 200, reason.isEmpty {
                series.success.increment()
            } else {
                let key = ErrorKey(code: code, reason: reason)
                series.errors.withLock { errors in
                    if let counter = errors[key] { return counter }
                    let counter = makeCounter(context: context, code: code, reason: reason)
                    errors[key] = counter
                    return counter
                }.increment()
            }
        }

        private func series(_ key: SeriesKey) -> Series {
            series.withLock { all in
                if let known = all[key] { return known }
                let dimensions = [("kind", key.kind.rawValue), ("operation", key.operation)]
                let timer = factory.map { Timer(label: timerLabel, dimensions: dimensions, factory: $0) }
                    ?? Timer(label: timerLabel, dimensions: dimensions)
                let success = makeCounter(kind: key.kind, operation: key.operation, code: 200, reason: "")
                let made = Series(timer: timer, success: success)
                all[key] = made
                return made
            }
        }

        private func makeCounter(context: RequestContext, code: Int, reason: String) -> Counter {
            makeCounter(kind: context.kind, operation: context.operation, code: code, reason: reason)
        }

        private func makeCounter(kind: TransportKind, operation: String, code: Int, reason: String) -> Counter {
            let dimensions = [("kind", kind.rawValue), ("operation", operation), ("code", String(code)), ("reason", reason)]
            return factory.map { Counter(label: counterLabel, dimensions: dimensions, factory: $0) }
                ?? Counter(label: counterLabel, dimensions: dimensions)
        }
    }
}
