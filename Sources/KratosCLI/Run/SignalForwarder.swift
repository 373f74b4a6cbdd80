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
    /// A signal that came while there was no child to pass it to (one starting): it goes to the
    /// next child set, so a SIGTERM sent as soon as the service answers is never lost.
    private var undelivered: Int32 = 0
    private var sources: [any DispatchSourceSignal] = []

    var target: pid_t? {
        get { lock.withLock { child } }
        set {
            let pending: Int32 = lock.withLock {
                child = newValue
                guard newValue != nil else { return 0 }
                defer { undelivered = 0 }
                return undelivered
            }
            if let newValue, pending != 0 { kill(newValue, pending) }
        }
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
            if child == nil { undelivered = signal }
            return child
        }
        if let pid { kill(pid, signal) }
    }
}
