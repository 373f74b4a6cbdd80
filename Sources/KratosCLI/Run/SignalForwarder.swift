import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Catches SIGINT, SIGTERM, SIGQUIT and SIGHUP and passes each on to the running child.
final class SignalForwarder: @unchecked Sendable {
    private let lock = NSLock()
    private var child: pid_t?
    private var last: Int32 = 0
    private var sources: [any DispatchSourceSignal] = []

    var target: pid_t? {
        get { lock.withLock { child } }
        set { lock.withLock { child = newValue } }
    }

    /// The last signal received, 0 when none.
    var received: Int32 { lock.withLock { last } }

    init() {
        for number in [SIGINT, SIGTERM, SIGQUIT, SIGHUP] {
            // The dispatch source still sees an ignored signal; ignoring it stops the default action (exit).
            _ = signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [weak self] in self?.forward(number) }
            source.resume()
            sources.append(source)
        }
    }

    private func forward(_ signal: Int32) {
        let pid: pid_t? = lock.withLock {
            last = signal
            return child
        }
        if let pid { kill(pid, signal) }
    }
}
