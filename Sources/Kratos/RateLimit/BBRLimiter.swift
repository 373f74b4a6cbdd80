#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Adaptive load shedding after TCP BBR, as go-kratos aegis's `ratelimit/bbr`: requests are shed
/// only while the server's CPU is over its threshold (or within the cool-off after the last
/// request it shed with the CPU above its release level) **and** more requests are in flight than the server has shown it can finish:
/// `maxFlight = maxPass × minRT × bucketsPerSecond / 1000`, from the most requests finished in one
/// bucket and the lowest average response time (ms) of a bucket, over the window.
///
/// CPU usage is sampled from a ``CPUUsageSource`` (``SystemCPUUsage`` by default: this process
/// against the CPUs it may use) at most every ``Configuration/cpuSampleInterval``, on the first
/// request after the interval, and smoothed: `cpu = cpu × decay^n + usage × (1 − decay^n)` for
/// the `n` intervals since the last sample. The limiter runs no task of its own.
///
/// ```swift
/// let limiter = BBRLimiter(.init(cpuThreshold: 900))
/// server.use(RateLimitMiddleware(limiter))
/// ```
public final class BBRLimiter: Limiter {
    /// go-kratos's defaults (a 10 s window of 100 buckets, shedding from 800‰ CPU, decay 0.95),
    /// with the CPU sampled five times as often.
    public struct Configuration: Sendable, Hashable {
        /// The span over which passes and response times are kept.
        public var window: Duration
        /// How many buckets the window is cut into.
        public var buckets: Int
        /// CPU usage in per mille above which requests may be shed.
        public var cpuThreshold: Int
        /// CPU usage in per mille down to which a request shed in the cool-off, below the
        /// threshold, restarts it: hysteresis, so the in-flight check holds while an overload
        /// that shedding keeps just under the threshold lasts, and lets go once the CPU has room
        /// (7/8 of the threshold unless set, 700‰ for 800‰; aegis has no such band: see ``coolOff``).
        public var cpuRelease: Int {
            get { release ?? cpuThreshold * 7 / 8 }
            set { release = newValue }
        }
        private var release: Int?
        /// How often CPU usage is sampled: 100 ms by default, where aegis samples every 500 ms.
        /// With the same decay the average passes 800‰ about 3 s into full load instead of 16 s,
        /// while the window still remembers unloaded response times, so the in-flight bound it
        /// starts shedding with is what the server does unloaded (**Better** than go-kratos,
        /// whose bound by then is the latency of the overload itself).
        public var cpuSampleInterval: Duration
        /// The weight of the previous value in each sample's moving average.
        public var cpuDecay: Double
        /// How long after the last request shed the in-flight check still applies with CPU
        /// below the threshold. aegis counts from when shedding began, so under an overload
        /// that the shedding itself brings under the threshold the limit lifts every second and
        /// a burst gets in; counted from the last request shed with the CPU at or above
        /// ``cpuRelease`` (**Better**), the check stays while the overload lasts, and ends a
        /// second after it.
        public var coolOff: Duration
        /// Which response time of the window is minRT.
        public var minRT: ResponseTime

        public init(window: Duration = .seconds(10), buckets: Int = 100, cpuThreshold: Int = 800, cpuRelease: Int? = nil,
                    cpuSampleInterval: Duration = .milliseconds(100), cpuDecay: Double = 0.95, coolOff: Duration = .seconds(1),
                    minRT: ResponseTime = .lowestBucketAverage) {
            self.window = window
            self.buckets = buckets
            self.cpuThreshold = cpuThreshold
            release = cpuRelease
            self.cpuSampleInterval = cpuSampleInterval
            self.cpuDecay = cpuDecay
            self.coolOff = coolOff
            self.minRT = minRT
        }
    }

    /// How minRT is taken from the window's complete buckets.
    public enum ResponseTime: Sendable, Hashable {
        /// The lowest average response time of a bucket: aegis's, the default.
        case lowestBucketAverage
        /// The fastest single request (TCP BBR's RTprop). Under load that lasts longer than the
        /// window, every bucket's average has grown with the requests in flight and so has the
        /// bound; the fastest request keeps it near what a request costs alone, so shedding
        /// brings latency down — at the price of a tighter bound for services whose requests
        /// vary widely in cost.
        case fastestRequest
    }

    /// A snapshot of the limiter's view (aegis's `Stat`).
    public struct Stats: Sendable, Hashable {
        /// Smoothed CPU usage, per mille.
        public var cpu: Int
        public var inFlight: Int
        /// The most requests finished in one complete bucket of the window (at least 1).
        public var maxPass: Int
        /// The lowest average response time of a complete bucket (or, with ``ResponseTime/fastestRequest``,
        /// the fastest request), in milliseconds (1 when none); while shedding, at most what it
        /// was when shedding began.
        public var minRT: Double
        public var maxInFlight: Int
        /// Whether the cool-off is on: a request was shed less than ``Configuration/coolOff`` ago.
        public var coolingOff: Bool
    }

    public let configuration: Configuration
    private let cpuSource: any CPUUsageSource
    private let now: @Sendable () -> ContinuousClock.Instant
    private let bucketsPerSecond: Double
    private let state: Mutex<State>
    private let cpu: Mutex<CPUState>

    private struct State {
        var passes: RollingWindow
        var responseTimes: RollingWindow
        var inFlight = 0
        /// When a request was last shed with the CPU over the threshold, or in the cool-off over
        /// the release level.
        var lastDrop: ContinuousClock.Instant?
        /// minRT when shedding began, the most it may be until the cool-off ends.
        var heldMinRT: Double?
        /// maxPass and minRT for the bucket number they were computed in.
        var cached: (bucket: Int64, maxPass: Int, minRT: Double)?
    }

    private struct CPUState {
        var value = 0
        var last: (at: ContinuousClock.Instant, times: CPUTimes)?
    }

    /// - Parameters:
    ///   - cpu: where CPU usage comes from.
    ///   - now: the clock; tests pass one they move by hand.
    public init(_ configuration: Configuration = Configuration(), cpu: any CPUUsageSource = SystemCPUUsage(),
                now: @escaping @Sendable () -> ContinuousClock.Instant = { .now }) {
        self.configuration = configuration
        cpuSource = cpu
        self.now = now
        let origin = now()
        let window = RollingWindow(buckets: configuration.buckets, window: configuration.window, origin: origin)
        bucketsPerSecond = .seconds(1) / window.bucketDuration
        state = Mutex(State(passes: window, responseTimes: window))
        self.cpu = Mutex(CPUState())
    }

    public func allow() -> LimiterTicket? {
        let start = now()
        let cpu = sampleCPU(at: start)
        let admitted = state.withLock { state -> Bool in
            if shouldDrop(&state, cpu: cpu, at: start) { return false }
            state.inFlight += 1
            return true
        }
        guard admitted else { return nil }
        return LimiterTicket { [self] _ in
            let end = now()
            let milliseconds = (end - start) / .milliseconds(1)
            state.withLock { state in
                state.inFlight -= 1
                state.passes.add(1, at: end)
                state.responseTimes.add(max(0, milliseconds), at: end)
            }
        }
    }

    /// The limiter's view now.
    public var stats: Stats {
        let at = now()
        let cpu = self.cpu.withLock { $0.value }
        return state.withLock { state in
            let (maxPass, minRT) = passAndRT(&state, at: at)
            return Stats(cpu: cpu, inFlight: state.inFlight, maxPass: maxPass, minRT: minRT,
                         maxInFlight: maxInFlight(maxPass: maxPass, minRT: minRT),
                         coolingOff: state.lastDrop.map { at - $0 <= configuration.coolOff } ?? false)
        }
    }

    /// aegis's `shouldDrop`: below the threshold, only during the cool-off; above it, when more
    /// requests are in flight than one and than maxFlight. Each drop above the threshold, and
    /// each in the cool-off with the CPU at or above the release level, restarts the cool-off.
    private func shouldDrop(_ state: inout State, cpu: Int, at now: ContinuousClock.Instant) -> Bool {
        // A cool-off that has run out ends, whatever the CPU: the next shed begins afresh.
        if let last = state.lastDrop, now - last > configuration.coolOff {
            state.lastDrop = nil
            state.heldMinRT = nil
        }
        if cpu < configuration.cpuThreshold {
            guard state.lastDrop != nil else { return false }
            let drop = overloaded(&state, at: now)
            if drop, cpu >= configuration.cpuRelease { state.lastDrop = now }
            return drop
        }
        let drop = overloaded(&state, at: now)
        if drop {
            if state.lastDrop == nil { state.heldMinRT = passAndRT(&state, at: now).1 }
            state.lastDrop = now
        }
        return drop
    }

    private func overloaded(_ state: inout State, at now: ContinuousClock.Instant) -> Bool {
        guard state.inFlight > 1 else { return false }
        let (maxPass, minRT) = passAndRT(&state, at: now)
        return state.inFlight > maxInFlight(maxPass: maxPass, minRT: minRT)
    }

    private func maxInFlight(maxPass: Int, minRT: Double) -> Int {
        Int((Double(maxPass) * minRT * bucketsPerSecond / 1000).rounded())
    }

    /// The most passes of a complete bucket (at least 1) and the lowest average response time
    /// of one (1 ms when no bucket has any), computed once per bucket; while shedding, minRT is
    /// at most what it was when shedding began.
    private func passAndRT(_ state: inout State, at now: ContinuousClock.Instant) -> (Int, Double) {
        let (maxPass, minRT) = windowPassAndRT(&state, at: now)
        return (maxPass, state.heldMinRT.map { min($0, minRT) } ?? minRT)
    }

    private func windowPassAndRT(_ state: inout State, at now: ContinuousClock.Instant) -> (Int, Double) {
        let bucket = state.passes.bucketNumber(at: now)
        if let cached = state.cached, cached.bucket == bucket { return (cached.maxPass, cached.minRT) }
        let maxPass = max(1, state.passes.completed(at: now).map(\.count).max() ?? 0)
        let buckets = state.responseTimes.completed(at: now).filter { $0.count > 0 }
        let times = switch configuration.minRT {
        case .lowestBucketAverage: buckets.map { $0.sum / Double($0.count) }
        case .fastestRequest: buckets.map(\.minimum)
        }
        let minRT = times.filter { $0 > 0 }.min() ?? 1
        state.cached = (bucket, maxPass, minRT)
        return (maxPass, minRT)
    }

    /// The smoothed CPU usage, sampling the source first when an interval has passed.
    private func sampleCPU(at now: ContinuousClock.Instant) -> Int {
        let (due, value) = cpu.withLock { cpu in
            (cpu.last.map { now - $0.at >= configuration.cpuSampleInterval } ?? true, cpu.value)
        }
        guard due else { return value }
        // Read outside the lock; if two requests read at once, the later update wins.
        let times = cpuSource.read()
        return cpu.withLock { cpu in
            guard let times else { return cpu.value }
            guard let last = cpu.last else {
                cpu.last = (now, times)
                return cpu.value
            }
            guard now - last.at >= configuration.cpuSampleInterval else { return cpu.value }
            if let usage = times.usage(since: last.times) {
                let intervals = (now - last.at) / configuration.cpuSampleInterval
                let keep = pow(min(1, max(0, configuration.cpuDecay)), intervals)
                cpu.value = Int((Double(cpu.value) * keep + Double(usage) * (1 - keep)).rounded())
            }
            cpu.last = (now, times)
            return cpu.value
        }
    }
}
