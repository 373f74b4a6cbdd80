import NIOCore
import NIOHTTP2

/// A server connection's life beyond its calls: keepalive pings, the idle and age limits, and
/// the two-step GOAWAY of a graceful close (GOAWAY naming the largest stream ID and a PING; on
/// the PING's answer, GOAWAY naming the last stream seen, so no call the client sent in between
/// is lost), then the close once the last call has ended or the grace period is over.
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
        /// The first GOAWAY and its PING are out.
        case closing
        /// The final GOAWAY is out: the connection closes when its last call ends.
        case draining
        case closed
    }

    private let limits: Limits
    private let connection: FrameConnection
    private var phase = Phase.open
    private var lastRead = NIODeadline.now()
    private var highestStream = HTTP2StreamID.rootStream
    private var openStreams = 0
    private var keepaliveTimer: Scheduled<Void>?
    private var ackTimer: Scheduled<Void>?
    private var idleTimer: Scheduled<Void>?
    private var ageTimer: Scheduled<Void>?
    private var graceTimer: Scheduled<Void>?
    private static let keepaliveData = HTTP2PingData(withInteger: 0x6B72_6174_6F73_6B61)
    private static let goAwayData = HTTP2PingData(withInteger: 0x6B72_6174_6F73_6761)

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

    func streamOpened(_ id: HTTP2StreamID) {
        highestStream = max(highestStream, id)
        openStreams += 1
        idleTimer?.cancel()
        idleTimer = nil
    }

    func streamClosed() {
        openStreams = max(openStreams - 1, 0)
        guard openStreams == 0 else { return }
        if case .draining = phase { return finish() }
        armIdle()
    }

    func ping(_ data: HTTP2PingData, ack: Bool) {
        guard ack else { return }
        if data == Self.keepaliveData {
            ackTimer?.cancel()
            ackTimer = nil
        } else if data == Self.goAwayData, case .closing = phase {
            phase = .draining
            connection.write(HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: highestStream, errorCode: .noError, opaqueData: nil)))
            if openStreams == 0 { finish() }
        }
    }

    /// Starts a graceful close (a server stop, the age limit, the idle limit).
    func close() {
        guard case .open = phase else { return }
        phase = .closing
        connection.write(HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: .maxID, errorCode: .noError, opaqueData: nil)))
        connection.write(HTTP2Frame(streamID: .rootStream, payload: .ping(Self.goAwayData, ack: false)))
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
