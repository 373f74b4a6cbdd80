import Foundation
@testable import KratosCLI
import Testing

/// `kratos run` passes signals on; one that arrives while the child is starting (no target yet)
/// reaches the child as soon as it is known — a SIGTERM sent the moment the service answers is
/// never lost (the end-to-end test once hung on exactly that).
@Suite struct SignalForwarderTests {
    @Test func aSignalBeforeTheChildIsKnownReachesItOnceItIs() async throws {
        let forwarder = SignalForwarder()
        kill(getpid(), SIGHUP)
        let start = ContinuousClock.now
        while forwarder.received == 0, ContinuousClock.now - start < .seconds(5) { try await Task.sleep(for: .milliseconds(10)) }
        #expect(forwarder.received == SIGHUP)

        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/bin/sh")
        // SIGHUP's default action ends the shell; `trap - HUP` undoes an inherited ignore.
        child.arguments = ["-c", "trap - HUP; sleep 30 & wait"]
        try child.run()
        forwarder.target = child.processIdentifier
        let started = ContinuousClock.now
        while child.isRunning, ContinuousClock.now - started < .seconds(10) { try await Task.sleep(for: .milliseconds(20)) }
        #expect(!child.isRunning, "the child never got the signal")
        if child.isRunning { child.terminate() }
        #expect(child.terminationReason == .uncaughtSignal && child.terminationStatus == SIGHUP)
    }
}
