import Kratos
import KratosHTTP
import Logging
import Foundation
import NIOPosix
import Synchronization

// The server of Scripts/bench-ratelimit: GET /work burns about 1 ms of CPU in four slices, each
// followed by a 50 µs call to a dependency (so requests in flight interleave, as goroutines do in
// go-kratos), on one event loop. With `bbr`, the RateLimit middleware with its defaults (BBR, CPU
// threshold 800‰, CPU sampled every 100 ms) guards it; `bbr-500ms` samples the CPU every 500 ms
// as go-kratos's aegis does (same 0.95 decay, so the average follows a surge five times slower);
// `bbr-fastest` takes minRT from the fastest request (`.fastestRequest`) instead of the lowest
// bucket average; with `none`, nothing does. With BENCH_STATS=1 the server writes the limiter's
// view every 250 ms, and every 5 s the percentiles of the accepted requests as the middleware
// sees them (from before the limiter to the reply), to stderr.
// Usage: bench-ratelimit PORT bbr|bbr-fastest|bbr-500ms|none
let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8000 : 8000
let mode = arguments.count > 2 ? arguments[2] : "none"

let statsOn = ProcessInfo.processInfo.environment["BENCH_STATS"] == "1" && mode != "none"
let served = Mutex<[Double]>([])
var middleware: [any Middleware] = [Recovery()]
if statsOn {
    middleware.insert(MiddlewareFunction { request, context, next in
        let start = ContinuousClock.now
        let reply = try await next(request, context)
        let ms = (ContinuousClock.now - start) / .milliseconds(1)
        served.withLock { $0.append(ms) }
        return reply
    }, at: 0)
}
let limiter: BBRLimiter? = switch mode {
case "bbr": BBRLimiter()
case "bbr-fastest": BBRLimiter(.init(minRT: .fastestRequest))
case "bbr-500ms": BBRLimiter(.init(cpuSampleInterval: .milliseconds(500)))
default: nil
}
if let limiter { middleware.append(RateLimitMiddleware(limiter)) }

let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
var logger = Logger(label: "bench-ratelimit")
logger.logLevel = .warning
let server = KratosHTTPServer(
    .init(host: "127.0.0.1", port: port, timeout: .seconds(30), eventLoopGroup: group, logger: logger),
    middleware: middleware
)

let loop = group.next()

/// About `slices` × 250 µs of CPU, each slice followed by a call to a dependency that answers
/// 50 µs later (an event-loop timer). Awaiting it frees the loop for its sockets until the reply,
/// as awaiting a real dependency does; `Task.yield()` would not: NIO runs the tasks that yielding
/// queues before it next reads its sockets, so a request that arrives waits for every request
/// in flight to finish before it is even read.
func burn(slices: Int = 4) async throws -> Int {
    var spin = 0
    for _ in 0..<slices {
        let until = ContinuousClock.now + .microseconds(250)
        while ContinuousClock.now < until { spin &+= 1 }
        try await loop.scheduleTask(in: .microseconds(50)) {}.futureResult.get()
    }
    return spin
}

try server.route(.GET, "/work", operation: "/bench.Work/Do") { _ in
    let spin = try await burn()
    return HTTPResponse(status: .ok, headers: ["content-type": "application/json"], body: .init(string: "{\"spin\":\(spin)}"))
}
if let limiter, statsOn {
    Thread.detachNewThread {
        var tick = 0
        while true {
            Thread.sleep(forTimeInterval: 0.25)
            tick += 1
            if tick % 20 == 0 {
                let times = served.withLock { t in defer { t = [] }; return t.sorted() }
                if !times.isEmpty {
                    FileHandle.standardError.write(Data("served n=\(times.count) p50=\(times[times.count / 2]) p99=\(times[times.count * 99 / 100]) max=\(times[times.count - 1])\n".utf8))
                }
            }
            let stats = limiter.stats
            FileHandle.standardError.write(Data("cpu=\(stats.cpu) inFlight=\(stats.inFlight) maxPass=\(stats.maxPass) minRT=\(stats.minRT) maxInFlight=\(stats.maxInFlight) coolingOff=\(stats.coolingOff)\n".utf8))
        }
    }
}
try await server.run()
