import NIOCore
import NIOHTTP2

/// A server connection's life beyond its calls: keepalive pings, the idle and age limits, and
/// the graceful close: GOAWAY naming the last call read (every call up to it is answered; later
/// ones are refused, REFUSED_STREAM, which clients may retry elsewhere), then the close once the
/// last call has ended or the grace period is over.
///
/// One GOAWAY, not gRPC's usual two (the largest stream ID and a PING first): swift-nio-http2
/// treats a server's first GOAWAY as final once no stream is open, and then answers the client's
/// calls still on the wire with a connection error.
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
    private let connection: FrameConnection
    private var phase = Phase.open
    private var lastRead = NIODeadline.now()
    private var highestStream = HTTP2StreamID.rootStream
    /// Streams whose HEADERS have been read and that have not closed yet.
    private var open: Set<HTTP2StreamID> = []
    private var keepaliveTimer: Scheduled<Void>?
    private var ackTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    private var ageTimer: Scheduled<Void>?
    private var graceTimer: Scheduled<Void>?
    private static let keepaliveData = HTTP2PingData(withInteger: 0x6B72_6174_6F73_6B61)

    init(limits: Limits, connection: FrameConnection) {
        self.limits = limits
        self.connection = connection
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

    /// A call's HEADERS were read (counted as they are read: the HTTP/2 layer's stream events come
    /// later, and the final GOAWAY must name every call already started).
    func streamOpened(_ id: HTTP2StreamID) {
        highestStream = max(highestStream, id)
        open.insert(id)
        idleTimer?.cancel()
        idleTimer = nil
    }

    func streamClosed(_ id: HTTP2StreamID) {
        guard open.remove(id) != nil, open.isEmpty else { return }
        if case .draining = phase { return finish() }
        armIdle()
    }

    func ping(_ data: HTTP2PingData, ack: Bool) {
        guard ack, data == Self.keepaliveData else { return }
        ackTimer?.cancel()
        ackTimer = nil
    }

    /// Starts a graceful close (a server stop, the age limit, the idle limit).
    func close() {
        guard case .open = phase else { return }
        phase = .draining
        connection.write(HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: highestStream, errorCode: .noError, opaqueData: nil)))
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
        guard let context = connection.context else { return }
        context.flush()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.assumeIsolated().execute { bound.value.close(promise: nil) }
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
        connection.write(HTTP2Frame(streamID: .rootStream, payload: .ping(Self.keepaliveData, ack: false)))
        ackTimer = schedule(in: limits.keepaliveTimeout) { $0.finish() }
        keepaliveTimer = schedule(in: interval) { $0.keepaliveDue() }
    }

    private func schedule(in delay: TimeAmount, _ body: @escaping (ConnectionLifecycle) -> Void) -> Scheduled<Void>? {
        guard let loop = connection.eventLoop else { return nil }
        let this = NIOLoopBound(self, eventLoop: loop)
        return loop.assumeIsolated().scheduleTask(in: delay) { body(this.value) }
    }
}
