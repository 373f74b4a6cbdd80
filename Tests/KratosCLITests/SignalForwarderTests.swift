import Foundation
@testable import KratosCLI
import Testing

/// `kratos run` passes signals on; one that arrives while the child is starting (no target yet)
/// reaches the child as soon as it is known — a SIGTERM sent the moment the service answers is
/// never lost (the end-to-end test once hung on exactly that).
@Suite struct SignalForwarderTests {
    @Test func aSignalBeforeTheChildIsKnownReachesItOnceItIs() async throws {
        let forwarder = SignalForwarder()
        // Dispatch registers its signal sources asynchronously: send until one is seen.
        let start = ContinuousClock.now
        while forwarder.received == 0, ContinuousClock.now - start < .seconds(5) {
            kill(getpid(), SIGHUP)
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(forwarder.received == SIGHUP)

        // A child that says when its handler is in place (it may inherit SIGHUP ignored, or
        // blocked by the spawning thread's mask, from this process), and exits 7 on SIGHUP.
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        child.arguments = ["python3", "-c", """
            import signal, sys, time
            signal.signal(signal.SIGHUP, lambda *_: sys.exit(7))
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGHUP})
            print("ready", flush=True)
            time.sleep(30)
            """]
        let out = Pipe()
        child.standardOutput = out
        try child.run()
        defer { if child.isRunning { child.terminate() } }
        let ready = out.fileHandleForReading.availableData
        #expect(String(decoding: ready, as: UTF8.self).hasPrefix("ready"))
        forwarder.target = child.processIdentifier
        let started = ContinuousClock.now
        while child.isRunning, ContinuousClock.now - started < .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!child.isRunning, "the child never got the signal")
        if !child.isRunning { #expect(child.terminationStatus == 7) }
    }
}
