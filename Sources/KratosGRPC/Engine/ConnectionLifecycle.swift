import NIOCore

/// A server connection's life beyond its calls: keepalive pings, the idle and age limits, and
/// the graceful close: GOAWAY naming the last call read (every call up to it is answered; later
/// ones are refused, REFUSED_STREAM, which clients may retry elsewhere), then the close once the
/// last call has ended or the grace period is over.
///
/// One GOAWAY, not gRPC's usual two (the largest stream ID and a PING first): calls the client
/// sent before it reads the GOAWAY are refused and retried elsewhere, as with any GOAWAY.
final class ConnectionLifecycle {
    struct Limits: Sendable {
        var maxIdle: TimeAmount?
        var maxAge: TimeAmount?
        var keepaliveInterval: TimeAmount?
        var keepaliveTimeout: TimeAmount
        var gracefulStopTimeout: TimeAmount
    }

    private enum Phase {
        case open
        /// GOAWAY is out: the connection closes when its last call ends.
        case draining
        case closed
    }

    private let limits: Limits
    private let eventLoop: any EventLoop
    /// The connection this runs the life of.
    weak var control: (any ConnectionControl)?
    private var phase = Phase.open
    private var lastRead = NIODeadline.now()
    /// Streams whose HEADERS have been read and that have not closed yet.
    private var open: Set<UInt32> = []
    private var keepaliveTimer: Scheduled<Void>?
    private var ackTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    private var ageTimer: Scheduled<Void>?
    private var graceTimer: Scheduled<Void>?
    private static let keepaliveData: UInt64 = 0x6B72_6174_6F73_6B61

    init(limits: Limits, eventLoop: any EventLoop) {
        self.limits = limits
        self.eventLoop = eventLoop
    }

    /// New calls are taken until the GOAWAY.
    var acceptsCalls: Bool {
        if case .open = phase { true } else { false }
    }

    func active() {
        lastRead = .now()
        if let interval = limits.keepaliveInterval { keepaliveTimer = schedule(in: interval) { $0.keepaliveDue() } }
        if let age = limits.maxAge { ageTimer = schedule(in: age) { $0.close() } }
        armIdle()
    }

    /// A read batch ended: the peer is alive.
    func readComplete() {
        lastRead = .now()
    }

    /// A call's HEADERS were read.
    func streamOpened(_ id: UInt32) {
        open.insert(id)
        idleTimer?.cancel()
        idleTimer = nil
    }

    func streamClosed(_ id: UInt32) {
        guard open.remove(id) != nil, open.isEmpty else { return }
        if case .draining = phase { return finish() }
        armIdle()
    }

    func pingAcknowledged(_ data: UInt64) {
        guard data == Self.keepaliveData else { return }
        ackTimer?.cancel()
        ackTimer = nil
    }

    /// Starts a graceful close (a server stop, the age limit, the idle limit).
    func close() {
        guard case .open = phase else { return }
        phase = .draining
        control?.goAway()
        if open.isEmpty { return finish() }
        graceTimer = schedule(in: limits.gracefulStopTimeout) { $0.finish() }
    }

    func inactive() {
        phase = .closed
        for timer in [keepaliveTimer, ackTimer, idleTimer, ageTimer, graceTimer] { timer?.cancel() }
    }

    /// Closes the connection once what was written (the last call's trailers) is flushed.
    private func finish() {
        if case .closed = phase { return }
        phase = .closed
        control?.closeWhenFlushed()
    }

    private func armIdle() {
        guard let idle = limits.maxIdle, case .open = phase else { return }
        idleTimer?.cancel()
        idleTimer = schedule(in: idle) { $0.close() }
    }

    /// Pings when nothing was read for the interval; closes when the ping is not answered in time.
    private func keepaliveDue() {
        guard let interval = limits.keepaliveInterval else { return }
        let quiet = NIODeadline.now() - lastRead
        if quiet < interval {
            keepaliveTimer = schedule(in: interval - quiet) { $0.keepaliveDue() }
            return
        }
        control?.sendPing(Self.keepaliveData)
        ackTimer = schedule(in: limits.keepaliveTimeout) { $0.finish() }
        keepaliveTimer = schedule(in: interval) { $0.keepaliveDue() }
    }

    private func schedule(in delay: TimeAmount, _ body: @escaping (ConnectionLifecycle) -> Void) -> Scheduled<Void>? {
        let this = NIOLoopBound(self, eventLoop: eventLoop)
        return eventLoop.assumeIsolated().scheduleTask(in: delay) { body(this.value) }
    }
}

/// What ``ConnectionLifecycle`` asks of its connection.
protocol ConnectionControl: AnyObject {
    /// Sends GOAWAY (NO_ERROR) naming the last call read; calls after it are refused.
    func goAway()
    func sendPing(_ data: UInt64)
    /// Closes once what was written (the last call's trailers) is flushed.
    func closeWhenFlushed()
}
