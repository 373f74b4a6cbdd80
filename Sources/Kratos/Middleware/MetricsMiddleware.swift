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
        let start = ContinuousClock.now
        do {
            let reply = try await next(request, context)
            instruments.record(context: context, code: 200, reason: "", since: start)
            return reply
        } catch {
            let kratos = KratosError(error)
            instruments.record(context: context, code: kratos.code, reason: kratos.reason, since: start)
            throw error
        }
    }

    /// The counters and timers made so far, by their dimensions: swift-metrics asks its factory
    /// for a metric on every `init`, so they are made once.
    final class Instruments: Sendable {
        let counterLabel: String
        let timerLabel: String
        let factory: (any MetricsFactory)?
        private let counters = Mutex<[CounterKey: Counter]>([:])
        private let timers = Mutex<[TimerKey: Timer]>([:])

        struct CounterKey: Hashable {
            var kind: TransportKind
            var operation: String
            var code: Int
            var reason: String
        }

        struct TimerKey: Hashable {
            var kind: TransportKind
            var operation: String
        }

        init(prefix: String, factory: (any MetricsFactory)?) {
            counterLabel = prefix + "_requests_code_total"
            timerLabel = prefix + "_requests_seconds"
            self.factory = factory
        }

        func record(context: RequestContext, code: Int, reason: String, since start: ContinuousClock.Instant) {
            let elapsed = ContinuousClock.now - start
            let nanoseconds = elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000
            counter(CounterKey(kind: context.kind, operation: context.operation, code: code, reason: reason)).increment()
            timer(TimerKey(kind: context.kind, operation: context.operation)).recordNanoseconds(nanoseconds)
        }

        private func counter(_ key: CounterKey) -> Counter {
            counters.withLock { counters in
                if let counter = counters[key] { return counter }
                let dimensions = [("kind", key.kind.rawValue), ("operation", key.operation), ("code", String(key.code)),
                                  ("reason", key.reason)]
                let counter = factory.map { Counter(label: counterLabel, dimensions: dimensions, factory: $0) }
                    ?? Counter(label: counterLabel, dimensions: dimensions)
                counters[key] = counter
                return counter
            }
        }

        private func timer(_ key: TimerKey) -> Timer {
            timers.withLock { timers in
                if let timer = timers[key] { return timer }
                let dimensions = [("kind", key.kind.rawValue), ("operation", key.operation)]
                let timer = factory.map { Timer(label: timerLabel, dimensions: dimensions, factory: $0) }
                    ?? Timer(label: timerLabel, dimensions: dimensions)
                timers[key] = timer
                return timer
            }
        }
    }
}
