import NIOCore
import NIOHTTP2

/// What the server and client frame handlers share about their connection: writes flushed once
/// per read batch (or once per event-loop turn outside reads), and the connection's inbound
/// window kept open to its target.
final class FrameConnection {
    private(set) var context: ChannelHandlerContext?
    /// The connection window we keep open (the protocol starts every connection at 64 KiB).
    let connectionWindow: Int
    private var reading = false
    private var flushPending = false
    private var flushScheduled = false
    private var flushing = false
    /// Runs just before each flush: the place to write what was gathered during the turn.
    var beforeFlush: (() -> Void)?

    init(connectionWindow: Int) {
        self.connectionWindow = connectionWindow
    }

    var allocator: ByteBufferAllocator { context?.channel.allocator ?? ByteBufferAllocator() }
    var eventLoop: (any EventLoop)? { context?.eventLoop }

    func added(_ context: ChannelHandlerContext) {
        self.context = context
    }

    /// Opens the connection window to its target once the connection is up.
    func active() {
        if connectionWindow > 65535 {
            write(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: connectionWindow - 65535)))
        }
    }

    func readStarted() {
        reading = true
    }

    /// The read batch is over: what it wrote goes out in one flush.
    func readComplete() {
        reading = false
        if flushPending {
            flushPending = false
            flushNow()
        }
    }

    /// An inbound window changed: the connection's is opened again once half is used here; a
    /// stream's new size is returned for its handler's own policy.
    func windowChanged(_ update: NIOHTTP2WindowUpdatedEvent) -> (stream: HTTP2StreamID, size: Int)? {
        guard let size = update.inboundWindowSize else { return nil }
        guard update.streamID == .rootStream else { return (update.streamID, size) }
        if size <= connectionWindow / 2 {
            write(HTTP2Frame(streamID: .rootStream, payload: .windowUpdate(windowSizeIncrement: connectionWindow - size)))
        }
        return nil
    }

    /// Writes a frame, flushed at the end of the read batch or of this event-loop turn.
    func write(_ frame: HTTP2Frame, promise: EventLoopPromise<Void>? = nil) {
        guard let context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(NIOAny(frame), promise: promise)
        if !flushing { requestFlush() }
    }

    /// Asks for a flush at the end of the read batch, or of this event-loop turn.
    func requestFlush() {
        guard let context else { return }
        if reading {
            flushPending = true
        } else if !flushScheduled {
            flushScheduled = true
            let this = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.assumeIsolated().execute {
                this.value.flushScheduled = false
                this.value.flushNow()
            }
        }
    }

    private func flushNow() {
        flushing = true
        beforeFlush?()
        flushing = false
        context?.flush()
    }
}

/// Stream-level inbound flow control, the same on both sides: the window opens again once half
/// is used, unless the reader of a stream of messages asked to stop (a message in the middle of
/// arriving is always let through, or it could never complete).
struct InboundWindow {
    let target: Int
    /// What the peer may still send before we open the window.
    var remaining: Int
    /// The reader asked to stop.
    var paused = false

    init(target: Int) {
        self.target = target
        remaining = target
    }

    /// The increment to send now, if any; counts it as sent.
    mutating func increment(partialMessage: Bool) -> Int? {
        guard remaining <= target / 2, !paused || partialMessage else { return nil }
        defer { remaining = target }
        return target - remaining
    }
}

/// Runs `body` now when on `loop`, else as soon as the loop gets to it.
func onEventLoop(_ loop: any EventLoop, _ body: @escaping @Sendable () -> Void) {
    if loop.inEventLoop { body() } else { loop.execute(body) }
}

/// Closes a connection once the HTTP/2 layer has answered a connection error with GOAWAY (it
/// reports stream and connection errors alike through `errorCaught`; the GOAWAY it writes is what
/// tells them apart). Our own graceful GOAWAYs carry NO_ERROR.
struct ConnectionErrorWatcher: NIOHTTP2FrameDelegate {
    let channel: any Channel

    func wroteFrame(_ frame: HTTP2Frame) {
        guard case .goAway(_, let code, _) = frame.payload, code != .noError else { return }
        // Next turn: the GOAWAY has been flushed by then.
        let channel = self.channel
        channel.eventLoop.execute { channel.close(promise: nil) }
    }
}
