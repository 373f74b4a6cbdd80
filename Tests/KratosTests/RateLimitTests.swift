@testable import Kratos
import Foundation
import KratosTestSupport
import Synchronization
import Testing

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    let start = ContinuousClock.now
    private let offset = Mutex(Duration.zero)

    var now: ContinuousClock.Instant { start + offset.withLock { $0 } }

    func advance(_ duration: Duration) {
        offset.withLock { $0 += duration }
    }

    var reader: @Sendable () -> ContinuousClock.Instant { { self.now } }
}

/// A CPU that runs at `permille` of its capacity, as time passes on `clock`.
final class ManualCPU: CPUUsageSource {
    let clock: ManualClock
    private let state: Mutex<(permille: Int, at: ContinuousClock.Instant, times: CPUTimes)>

    init(clock: ManualClock, permille: Int = 0) {
        self.clock = clock
        state = Mutex((permille, clock.now, CPUTimes(used: .zero, available: .zero)))
    }

    /// Usage from now on (the time passed so far is accounted at the previous rate).
    func set(_ permille: Int) {
        _ = read()
        state.withLock { $0.permille = permille }
    }

    func read() -> CPUTimes? {
        let now = clock.now
        return state.withLock { state in
            let elapsed = now - state.at
            state.times.available += elapsed
            state.times.used += elapsed * state.permille / 1000
            state.at = now
            return state.times
        }
    }
}

@Suite struct BBRLimiterTests {
    /// 100 ms buckets over 10 s, as go-kratos's defaults make them.
    let clock = ManualClock()

    /// The CPU sampled every 500 ms, as aegis does, unless a test says otherwise.
    static let aegis = BBRLimiter.Configuration(cpuSampleInterval: .milliseconds(500))

    func limiter(cpu: ManualCPU, _ configuration: BBRLimiter.Configuration = aegis) -> BBRLimiter {
        BBRLimiter(configuration, cpu: cpu, now: clock.reader)
    }

    /// `count` requests admitted together, each taking `duration`.
    func pass(_ limiter: BBRLimiter, _ count: Int, taking duration: Duration) throws {
        let tickets = try (0..<count).map { _ in try #require(limiter.allow()) }
        clock.advance(duration)
        for ticket in tickets { ticket.done() }
    }

    @Test func maxFlightIsMaxPassTimesMinRTPerBucket() throws {
        let limiter = limiter(cpu: ManualCPU(clock: clock))
        #expect(limiter.stats.maxPass == 1)
        #expect(limiter.stats.minRT == 1)
        try pass(limiter, 50, taking: .milliseconds(20))      // bucket 0: 50 passes of 20 ms
        clock.advance(.milliseconds(100))
        try pass(limiter, 30, taking: .milliseconds(40))      // bucket 1: 30 passes of 40 ms
        // The bucket filling does not count yet.
        #expect(limiter.stats.maxPass == 50)
        #expect(limiter.stats.minRT == 20)
        clock.advance(.milliseconds(100))
        let stats = limiter.stats
        #expect(stats.maxPass == 50)
        #expect(stats.minRT == 20)
        // 50 × 20 ms × 10 buckets per second / 1000.
        #expect(stats.maxInFlight == 10)
        // After the window, both are forgotten.
        clock.advance(.seconds(10))
        #expect(limiter.stats.maxPass == 1)
        #expect(limiter.stats.minRT == 1)
    }

    @Test func minRTCanBeTheFastestRequestInsteadOfTheLowestBucketAverage() throws {
        let averaged = limiter(cpu: ManualCPU(clock: clock))
        let fastest = limiter(cpu: ManualCPU(clock: clock), .init(cpuSampleInterval: .milliseconds(500), minRT: .fastestRequest))
        for limiter in [averaged, fastest] {
            let slow = try (0..<9).map { _ in try #require(limiter.allow()) }
            let quick = try #require(limiter.allow())
            clock.advance(.milliseconds(2))
            quick.done()                                      // 2 ms
            clock.advance(.milliseconds(18))
            slow.forEach { $0.done() }                        // 20 ms each
        }
        clock.advance(.milliseconds(100))
        #expect(averaged.stats.minRT == 18.2)                 // (2 + 9 × 20) / 10
        #expect(fastest.stats.minRT == 2)
        #expect(fastest.stats.maxInFlight == 0)               // 10 × 2 × 10 / 1000 = 0.2
    }

    @Test func cpuIsAnExponentialMovingAverageSampledEvery500ms() throws {
        let cpu = ManualCPU(clock: clock, permille: 1000)
        let limiter = limiter(cpu: cpu)
        try #require(limiter.allow()).done()                  // the first reading
        clock.advance(.milliseconds(499))
        try #require(limiter.allow()).done()
        #expect(limiter.stats.cpu == 0)                       // not due yet
        clock.advance(.milliseconds(1))
        try #require(limiter.allow()).done()
        #expect(limiter.stats.cpu == 50)                      // 0 × 0.95 + 1000 × 0.05
        clock.advance(.milliseconds(500))
        try #require(limiter.allow()).done()
        #expect(limiter.stats.cpu == 98)                      // 50 × 0.95 + 1000 × 0.05 = 97.5
        // A quiet second is two intervals at once: 98 × 0.9025 + 0 × 0.0975.
        cpu.set(0)
        clock.advance(.seconds(1))
        try #require(limiter.allow()).done()
        #expect(limiter.stats.cpu == 88)
    }

    /// The default samples every 100 ms: at full load the average passes 800‰ after 32 samples,
    /// 3.2 s, while aegis's 500 ms needs 16 s.
    @Test func defaultSamplesTheCPUEvery100ms() throws {
        let cpu = ManualCPU(clock: clock, permille: 1000)
        let limiter = limiter(cpu: cpu, .init())
        #expect(limiter.configuration.cpuSampleInterval == .milliseconds(100))
        try #require(limiter.allow()).done()                  // the first reading
        for _ in 0..<31 {
            clock.advance(.milliseconds(100))
            try #require(limiter.allow()).done()
        }
        #expect(limiter.stats.cpu < 800)                      // 1000 × (1 − 0.95^31) ≈ 796 (797 rounded per sample)
        clock.advance(.milliseconds(100))
        try #require(limiter.allow()).done()
        #expect(limiter.stats.cpu > 800)                      // 1000 × (1 − 0.95^32) ≈ 806 (807)
    }

    @Test func shedsOnlyAboveTheCPUThresholdAndBeyondMaxFlight() throws {
        let cpu = ManualCPU(clock: clock, permille: 1000)
        // A window long enough to keep its passes while the CPU average climbs.
        let limiter = limiter(cpu: cpu, .init(window: .seconds(30), buckets: 300, cpuSampleInterval: .milliseconds(500)))
        try pass(limiter, 50, taking: .milliseconds(20))
        clock.advance(.milliseconds(100))
        // Below 800‰ (the average starts at 0): nothing is shed, however many are in flight.
        try pass(limiter, 40, taking: .milliseconds(20))
        #expect(limiter.stats.cpu < 800)
        // 20 s at full load: 1000 × (1 − 0.95^40) ≈ 873‰.
        clock.advance(.seconds(20))
        try #require(limiter.allow()).done()
        #expect(limiter.stats.cpu > 800)
        clock.advance(.milliseconds(100))
        #expect(limiter.stats.maxInFlight == 10)
        // In flight up to maxFlight, one more as aegis admits, then shed.
        let admitted = (0..<11).compactMap { _ in limiter.allow() }
        #expect(admitted.count == 11)
        #expect(limiter.allow() == nil)
        #expect(limiter.stats.coolingOff)
        // Requests finishing make room again.
        admitted.prefix(5).forEach { $0.done() }
        let more = try #require(limiter.allow())
        more.done()
        admitted.dropFirst(5).forEach { $0.done() }
    }

    @Test func oneRequestInFlightIsNeverShed() throws {
        let cpu = ManualCPU(clock: clock, permille: 1000)
        let limiter = limiter(cpu: cpu, .init(cpuSampleInterval: .milliseconds(500), cpuDecay: 0))
        try #require(limiter.allow()).done()
        clock.advance(.milliseconds(500))
        for _ in 0..<100 {
            try #require(limiter.allow()).done()
        }
        #expect(limiter.stats.cpu == 1000)
    }

    @Test func coolOffKeepsCheckingInFlightForOneSecondAfterTheLastShedAboveTheThreshold() throws {
        let cpu = ManualCPU(clock: clock)
        // No smoothing, so the CPU follows the source at each sample.
        let limiter = limiter(cpu: cpu, .init(cpuSampleInterval: .milliseconds(500), cpuDecay: 0))
        try pass(limiter, 20, taking: .milliseconds(10))      // maxFlight = 20 × 10 × 10 / 1000 = 2
        cpu.set(1000)
        clock.advance(.milliseconds(500))
        let held = (0..<3).compactMap { _ in limiter.allow() }
        #expect(held.count == 3)
        #expect(limiter.stats.cpu == 980)                     // busy 500 of the 510 ms since the first reading
        #expect(limiter.allow() == nil)                       // shedding begins (t = 0)
        cpu.set(0)                                            // the source goes quiet; the average is read again at 500 ms
        clock.advance(.milliseconds(400))
        #expect(limiter.allow() == nil)                       // still over the threshold: the cool-off restarts (t = 400 ms)
        clock.advance(.milliseconds(500))
        #expect(limiter.allow() == nil)                       // CPU low, but within the cool-off
        #expect(limiter.stats.cpu == 0)
        clock.advance(.milliseconds(200))
        #expect(limiter.allow() == nil)                       // 1.1 s after shedding began (aegis would admit), 0.7 s after the last shed
        clock.advance(.milliseconds(301))
        let after = try #require(limiter.allow())             // cool-off over
        #expect(!limiter.stats.coolingOff)
        after.done()
        held.forEach { $0.done() }
    }

    @Test func theReleaseLevelIsSevenEighthsOfTheThresholdUnlessSet() {
        #expect(BBRLimiter.Configuration().cpuRelease == 700)
        #expect(BBRLimiter.Configuration(cpuThreshold: 500).cpuRelease == 437)
        #expect(BBRLimiter.Configuration(cpuRelease: 600).cpuRelease == 600)
        var lowered = BBRLimiter.Configuration()
        lowered.cpuThreshold = 600
        #expect(lowered.cpuRelease == 525)                    // follows the threshold until set
    }

    @Test func aCoolOffThatRanOutEndsWhileTheCPUStaysHighAndTheNextShedHoldsAFreshMinRT() throws {
        let cpu = ManualCPU(clock: clock, permille: 1000)
        let limiter = limiter(cpu: cpu, .init(window: .seconds(1), buckets: 10, cpuSampleInterval: .milliseconds(100),
                                              cpuDecay: 0, coolOff: .milliseconds(200)))
        try pass(limiter, 20, taking: .milliseconds(10))      // a bucket of 20 passes of 10 ms
        clock.advance(.milliseconds(100))
        var held = (0..<3).compactMap { _ in limiter.allow() }
        #expect(limiter.allow() == nil)                       // shedding begins, minRT held at 10 ms
        held.forEach { $0.done() }
        // The CPU stays at 1000‰ while the route gets slower: 40 ms a request, two at a time,
        // nothing shed for well past the cool-off.
        for _ in 0..<12 {
            let slow = (0..<2).compactMap { _ in limiter.allow() }
            #expect(slow.count == 2)
            clock.advance(.milliseconds(40))
            slow.forEach { $0.done() }
            clock.advance(.milliseconds(60))
        }
        #expect(!limiter.stats.coolingOff)
        #expect(limiter.stats.minRT == 40)                    // no longer held at the old 10 ms
        // Shedding again holds what minRT is now.
        held = (0..<20).compactMap { _ in limiter.allow() }
        #expect(held.count < 20)
        #expect(limiter.stats.coolingOff)
        #expect(limiter.stats.minRT == 40)
        held.forEach { $0.done() }
    }

    @Test func aShedInTheCoolOffRestartsItWhileTheCPUIsAboveTheReleaseLevel() throws {
        let cpu = ManualCPU(clock: clock)
        let limiter = limiter(cpu: cpu, .init(cpuSampleInterval: .milliseconds(500), cpuDecay: 0))
        try pass(limiter, 20, taking: .milliseconds(10))      // maxFlight = 2
        cpu.set(1000)
        clock.advance(.milliseconds(500))
        let held = (0..<3).compactMap { _ in limiter.allow() }
        #expect(limiter.allow() == nil)                       // shedding begins (t = 0)
        cpu.set(750)                                          // under the threshold, over the release level
        clock.advance(.milliseconds(500))
        #expect(limiter.allow() == nil)                       // in the cool-off: shed, and the cool-off restarts (t = 500 ms)
        #expect(limiter.stats.cpu == 750)
        clock.advance(.milliseconds(900))
        #expect(limiter.allow() == nil)                       // 1.4 s after shedding began, 0.9 s after the last shed: restarts again
        cpu.set(600)                                          // under the release level
        clock.advance(.milliseconds(500))
        #expect(limiter.allow() == nil)                       // t = 1.9 s: shed, but no restart
        #expect(limiter.stats.cpu == 600)
        clock.advance(.milliseconds(501))
        let after = try #require(limiter.allow())             // 1 s after the last shed over the release level
        #expect(!limiter.stats.coolingOff)
        after.done()
        held.forEach { $0.done() }
    }

    @Test func whileSheddingMinRTDoesNotGrowWithTheOverloadsOwnLatency() throws {
        let cpu = ManualCPU(clock: clock, permille: 1000)
        let limiter = limiter(cpu: cpu, .init(window: .seconds(1), buckets: 10, cpuSampleInterval: .milliseconds(100),
                                              cpuDecay: 0, coolOff: .milliseconds(200)))
        try pass(limiter, 20, taking: .milliseconds(10))      // a 100 ms bucket of 20 passes of 10 ms
        clock.advance(.milliseconds(100))
        #expect(limiter.stats.minRT == 10)
        // Under the overload each request takes 40 ms, and as many are admitted as the limiter
        // lets in; after a second the window has forgotten the 10 ms bucket.
        for _ in 0..<12 {
            var admitted: [LimiterTicket] = []
            while admitted.count < 50, let ticket = limiter.allow() { admitted.append(ticket) }
            #expect(admitted.count < 50)                      // shed before that
            clock.advance(.milliseconds(40))
            admitted.forEach { $0.done() }
            clock.advance(.milliseconds(60))
        }
        #expect(limiter.stats.coolingOff)
        #expect(limiter.stats.minRT == 10)                    // held from when shedding began
        // Once the cool-off ends, the window's own minRT counts again.
        cpu.set(0)
        clock.advance(.milliseconds(300))
        try #require(limiter.allow()).done()
        #expect(!limiter.stats.coolingOff)
        #expect(limiter.stats.minRT == 40)
    }
}

@Suite struct RateLimitMiddlewareTests {
    struct Refusing: Limiter {
        func allow() -> LimiterTicket? { nil }
    }

    final class Counting: Limiter {
        let outcomes = Mutex<[Bool]>([])
        func allow() -> LimiterTicket? {
            LimiterTicket { outcome in self.outcomes.withLock { $0.append(outcome.error == nil) } }
        }
    }

    let context = RequestContext(kind: .grpc, endpoint: "grpc://127.0.0.1:9000", operation: "/test.v1.Svc/Call")

    @Test func shedRequestsAre429RateLimitAndNeverReachTheHandler() async throws {
        let called = Mutex(false)
        await #expect {
            _ = try await RateLimitMiddleware(Refusing()).handle("x", context: context) { _, _ in
                called.withLock { $0 = true }
                return "y"
            }
        } throws: { error in
            let error = error as? KratosError
            return error?.code == 429 && error?.reason == "RATELIMIT" && error?.grpcCode == .resourceExhausted
        }
        #expect(!called.withLock { $0 })
    }

    @Test func admittedRequestsReportHowTheyEnded() async throws {
        let limiter = Counting()
        let middleware = RateLimitMiddleware(limiter)
        _ = try await middleware.handle("x", context: context) { _, _ in "y" }
        await #expect(throws: KratosError.self) {
            _ = try await middleware.handle("x", context: context) { _, _ in throw KratosError.notFound("NO", "no") }
        }
        #expect(limiter.outcomes.withLock { $0 } == [true, false])
    }

    @Test func selectiveMiddlewareSkipsTheExceptedOperations() async throws {
        let middleware = MiddlewareChain(Selective(except: ["/grpc.health.v1.Health/*"], RateLimitMiddleware(Refusing())))
        let health = RequestContext(kind: .grpc, endpoint: "grpc://127.0.0.1:9000", operation: "/grpc.health.v1.Health/Check")
        let reply = try await middleware.handle("x", context: health) { _, _ in "served" }
        #expect(reply as? String == "served")
        await #expect(throws: KratosError.self) {
            _ = try await middleware.handle("x", context: context) { _, _ in "served" }
        }
        let onlyHTTP = Selective(when: { $0.kind == .http }, RateLimitMiddleware(Refusing()))
        let grpcReply = try await onlyHTTP.handle("x", context: context) { _, _ in "served" }
        #expect(grpcReply as? String == "served")
    }

    @Test func theCPUsAProcessMayUseAreItsAffinity() async throws {
        #expect(LinuxFiles.allowedCPUs(inStatus: "Name:\tx\nCpus_allowed_list:\t0-3,6,8-9\n") == 7)
        #expect(LinuxFiles.allowedCPUs(inStatus: "Cpus_allowed_list:\t1\n") == 1)
        #expect(LinuxFiles.allowedCPUs(inStatus: "Cpus_allowed_list:\t3-1\n") == nil)
        #expect(LinuxFiles.allowedCPUs(inStatus: "Name:\tx\n") == nil)
        // What `taskset -c 0` gives the process it starts: one CPU, whatever the machine has.
        let pinned = try await runProcess("/usr/bin/taskset", ["-c", "0", "/bin/cat", "/proc/self/status"])
        #expect(LinuxFiles.allowedCPUs(inStatus: String(decoding: pinned.stdout, as: UTF8.self)) == 1)
    }

    @Test func systemCPUUsageReadsThisProcess() throws {
        let source = SystemCPUUsage()
        let capacity = source.capacity
        #expect(capacity > 0)
        #expect(capacity <= Double(LinuxFiles.allowedCPUs() ?? 1_000))
        let first = try #require(source.read())
        // Burn some CPU on this thread, then the process has used some.
        let until = ContinuousClock.now + .milliseconds(200)
        var spin = 0
        while ContinuousClock.now < until { spin &+= 1 }
        let second = try #require(source.read())
        #expect(second.used > first.used)
        #expect(second.available > first.available)
        let usage = try #require(second.usage(since: first))
        #expect(usage > 0 && usage <= 1000, "spun \(spin)")
        #expect(SystemCPUUsage(scope: .cgroup).read() != nil)
    }
}
