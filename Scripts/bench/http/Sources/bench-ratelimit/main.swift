import Kratos
import KratosHTTP
import Logging
import NIOPosix

// The server of Scripts/bench-ratelimit: GET /work burns about 1 ms of CPU in four slices,
// yielding between them as a handler awaiting its dependencies does (so requests in flight
// interleave, as goroutines do in go-kratos), on one event loop. With `bbr`, the RateLimit
// middleware with its defaults (BBR, CPU threshold 800‰, CPU sampled every 100 ms) guards it;
// `bbr-500ms` samples the CPU every 500 ms as go-kratos's aegis does (same 0.95 decay, so the
// average follows a surge five times slower); `bbr-fastest` takes minRT from the fastest request
// (`.fastestRequest`) instead of the lowest bucket average; with `none`, nothing does.
// Usage: bench-ratelimit PORT bbr|bbr-fastest|bbr-500ms|none
let arguments = CommandLine.arguments
let port = arguments.count > 1 ? Int(arguments[1]) ?? 8000 : 8000
let mode = arguments.count > 2 ? arguments[2] : "none"

var middleware: [any Middleware] = [Recovery()]
switch mode {
case "bbr": middleware.append(RateLimitMiddleware(BBRLimiter()))
case "bbr-fastest": middleware.append(RateLimitMiddleware(BBRLimiter(.init(minRT: .fastestRequest))))
case "bbr-500ms": middleware.append(RateLimitMiddleware(BBRLimiter(.init(cpuSampleInterval: .milliseconds(500)))))
default: break
}

var logger = Logger(label: "bench-ratelimit")
logger.logLevel = .warning
let server = KratosHTTPServer(
    .init(host: "127.0.0.1", port: port, timeout: .seconds(30), eventLoopGroup: MultiThreadedEventLoopGroup(numberOfThreads: 1), logger: logger),
    middleware: middleware
)

/// About `slices` × 250 µs of CPU, yielding after each slice.
func burn(slices: Int = 4) async -> Int {
    var spin = 0
    for _ in 0..<slices {
        let until = ContinuousClock.now + .microseconds(250)
        while ContinuousClock.now < until { spin &+= 1 }
        await Task.yield()
    }
    return spin
}

try server.route(.GET, "/work", operation: "/bench.Work/Do") { _ in
    let spin = await burn()
    return HTTPResponse(status: .ok, headers: ["content-type": "application/json"], body: .init(string: "{\"spin\":\(spin)}"))
}
try await server.run()
