import Foundation
import Kratos
import KratosHTTP
import KratosHTTPClient
import KratosTestSupport
import Synchronization
import Testing

/// BBR on a real HTTP server saturated by `wrk` (Debian `wrk`, from Scripts/bootstrap). How
/// latency behaves under load is measured by Scripts/bench-ratelimit, not asserted here.
@Suite struct RateLimitTransportTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    final class Flag: Sendable {
        let value = Atomic(true)
    }

    /// The counts the wrk script prints: `statuses ok=N shed=N ratelimit=N other=N`.
    struct Statuses {
        var counts: [String: Int] = [:]

        init(_ output: String) {
            guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("statuses ") }) else { return }
            for pair in line.split(separator: " ").dropFirst() {
                let parts = pair.split(separator: "=")
                if parts.count == 2, let value = Int(parts[1]) { counts[String(parts[0])] = value }
            }
        }

        subscript(_ key: String) -> Int { counts[key] ?? 0 }
    }

    /// About 1 ms of CPU in four slices, yielding between them, so requests in flight interleave.
    static func burn() async {
        for _ in 0..<4 {
            let until = ContinuousClock.now + .microseconds(250)
            var spin = 0
            while ContinuousClock.now < until { spin &+= 1 }
            await Task.yield()
        }
    }

    func wrk(_ arguments: [String]) async throws -> Statuses {
        let script = Self.root.appendingPathComponent("Scripts/bench/status-counts.lua").path
        let run = try await runProcess("/usr/bin/env", ["wrk", "-s", script] + arguments)
        #expect(run.status == 0, "\(String(decoding: run.stderr, as: UTF8.self))")
        return Statuses(String(decoding: run.stdout, as: UTF8.self))
    }

    @Test func shedsWithRateLimitUnderWrkButNeverHealthAndNothingAfterTheLoad() async throws {
        // The test process shares the machine's cores with wrk (and whatever else runs on it), so
        // the limiter reads the CPU of the whole cgroup (aegis's view in a container) against a
        // threshold of half of it, sampled every 100 ms so the average climbs within the run;
        // the rest are go-kratos's defaults. Scripts/bench-ratelimit runs the defaults, pinned.
        let limiter = BBRLimiter(.init(cpuThreshold: 500, cpuSampleInterval: .milliseconds(100)), cpu: SystemCPUUsage(scope: .cgroup))
        let middleware: [any Middleware] = [Recovery(), Selective(except: ["/test.Health/*"], RateLimitMiddleware(limiter))]
        let server = loopbackServer(timeout: .seconds(10), middleware: middleware)
        try server.route(.GET, "/work/{name}", operation: "/test.Work/Do") { (request: HelloRequest, _) -> HelloReply in
            await Self.burn()
            return HelloReply.with { $0.message = "done \(request.name)" }
        }
        try server.route(.GET, "/healthz/{name}", operation: "/test.Health/Check") { (_: HelloRequest, _) -> HelloReply in
            await Self.burn()
            return HelloReply.with { $0.message = "SERVING" }
        }
        try await withServer(server) { endpoint in
            // An unloaded second first: the window learns the response time of a lone request.
            let light = try await wrk(["-t1", "-c1", "-d1s", endpoint + "/work/light"])
            #expect(light["ok"] > 0 && light["shed"] == 0)

            // Saturated, with health checks alongside.
            let client = KratosHTTPClient(.init(endpoint: endpoint, timeout: .seconds(10)))
            let loading = Flag()
            async let health: [Int] = {
                var codes: [Int] = []
                while loading.value.load(ordering: .relaxed) {
                    do {
                        _ = try await client.invoke(.GET, "/healthz/probe", operation: "/test.Health/Check", as: HelloReply.self)
                        codes.append(200)
                    } catch let error as KratosError {
                        codes.append(error.code)
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
                return codes
            }()
            let heavy = try await wrk(["-t2", "-c64", "-d8s", endpoint + "/work/heavy"])
            loading.value.store(false, ordering: .relaxed)
            let healthCodes = try await health
            #expect(heavy["shed"] > 0, "no request shed under load: \(heavy.counts), limiter \(limiter.stats)")
            #expect(heavy["ratelimit"] == heavy["shed"])
            #expect(heavy["ok"] > 0)
            #expect(heavy["other"] == 0)
            #expect(!healthCodes.isEmpty && healthCodes.allSatisfy { $0 == 200 }, "health answered \(Set(healthCodes))")

            // After the load: once the requests wrk left behind are done, nothing is shed for 2 s.
            let drained = ContinuousClock.now + .seconds(5)
            while limiter.stats.inFlight > 0, ContinuousClock.now < drained {
                try await Task.sleep(for: .milliseconds(10))
            }
            var after: [Int] = []
            let end = ContinuousClock.now + .seconds(2)
            while ContinuousClock.now < end {
                do {
                    _ = try await client.invoke(.GET, "/work/after", operation: "/test.Work/Do", as: HelloReply.self)
                    after.append(200)
                } catch let error as KratosError {
                    after.append(error.code)
                }
            }
            #expect(after.count > 10)
            #expect(after.allSatisfy { $0 == 200 }, "shed after the load: \(after.filter { $0 != 200 }.count) of \(after.count)")
        }
    }
}
