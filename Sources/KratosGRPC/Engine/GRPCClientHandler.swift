import Kratos
import Logging
import NIOCore

/// Runs gRPC calls on one client HTTP/2 connection, HTTP/2 included (``HTTP2Endpoint``): opens a
/// stream per call (waiting while the server's stream limit is reached), writes its headers and
/// messages, reads its replies and trailers, applies its deadline.
final class GRPCClientHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maxHeaderListSize = 16 * 1024

    let eventLoop: any EventLoop
    let streamWindow: Int
    let logger: Logger
    var context: ChannelHandlerContext?
    var h2: HTTP2ConnectionState
    var streams: [UInt32: ClientStream] = [:]
    /// Calls waiting for a stream (the server's SETTINGS_MAX_CONCURRENT_STREAMS reached), in order.
    var waiting: [ClientStream] = []
    var nextStreamID: UInt32 = 1
    /// The server sent GOAWAY or the connection closed: no new call starts here.
    private(set) var isClosing = false
    /// Close the connection once the last call ends.
    var closeWhenIdle = false
    /// Tells the connection's owner it should no longer be used.
    var onUnusable: (@Sendable () -> Void)?
    let writeHighWatermark = 64 * 1024
    /// One timer for every call's deadline, set for the soonest (a timer per call costs more
    /// than the calls: most end long before their deadline).
    var sweep: Scheduled<Void>?
    var sweepAt: NIODeadline?

    init(eventLoop: any EventLoop, allocator: ByteBufferAllocator, streamWindow: Int, connectionWindow: Int, logger: Logger) {
        self.eventLoop = eventLoop
        self.streamWindow = streamWindow
        self.logger = logger
        h2 = HTTP2ConnectionState(allocator: allocator, expectsPreface: false, inboundTarget: connectionWindow,
                                  maxHeaderListSize: Self.maxHeaderListSize)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        h2.writer.preface([(.enablePush, 0), (.initialWindowSize, streamWindow), (.maxHeaderListSize, Self.maxHeaderListSize)])
        if h2.inboundTarget > H2.defaultWindow {
            h2.writer.windowUpdate(0, increment: h2.inboundTarget - H2.defaultWindow)
            h2.inbound = h2.inboundTarget
        }
        requestFlush()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        read(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readComplete()
        context.fireChannelReadComplete()
    }

    func channelInactive(context: ChannelHandlerContext) {
        h2.closing = true
        sweep?.cancel()
        becameUnusable()
        let open = Array(streams.values) + waiting
        streams = [:]
        waiting = []
        for stream in open {
            stream.inboundClosed = true
            stream.outboundClosed = true
            end(stream, CallStatus(code: .unavailable, message: "the connection closed"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        logger.debug("gRPC client connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        holdingRead(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumingRead(context: context)
        context.fireChannelWritabilityChanged()
    }

    func becameUnusable() {
        guard !isClosing else { return }
        isClosing = true
        onUnusable?()
    }

    // MARK: Calls

    /// Opens a call with its encoded request headers (and, for a call of one request message,
    /// that message, sent with END_STREAM). Replies are collected into the ending when
    /// `collecting`, else they stream through the returned messages.
    func open(_ head: ByteBuffer, message: ByteBuffer?, collecting: Bool, maxReplySize: Int,
              timeout: Duration?) -> (ClientStream?, IncomingMessages, EventLoopFuture<CallEnding>) {
        let loop = eventLoop
        guard !isClosing, context != nil, nextStreamID < UInt32(Int32.max) else {
            let status = CallStatus(code: .unavailable, message: "the connection is closing")
            return (nil, .none, loop.makeSucceededFuture(CallEnding(headers: nil, status: status, trailers: HeaderList(), replies: [], unprocessed: true)))
        }
        let stream = ClientStream(maxReplySize: maxReplySize, window: InboundWindow(target: streamWindow),
                                  sendWindow: h2.peerInitialWindow, collecting: collecting, ending: loop.makePromise())
        stream.head = head
        stream.message = message
        var messages = IncomingMessages.none
        if !collecting {
            let bound = NIOLoopBound((self, stream), eventLoop: loop)
            let made = IncomingMessages.make { onEventLoop(loop) { bound.value.0.resumeReading(bound.value.1) } }
            messages = made.0
            stream.source = made.1
        }
        if let timeout {
            let deadline = NIODeadline.now() + .nanoseconds(timeout.saturatingNanoseconds)
            stream.deadline = deadline
            if sweepAt.map({ deadline < $0 }) ?? true { scheduleSweep(at: deadline) }
        }
        if streams.count < h2.peerMaxConcurrentStreams, waiting.isEmpty {
            start(stream)
        } else {
            waiting.append(stream)
        }
        return (stream, messages, stream.ending.futureResult)
    }

    /// Gives a waiting call its stream: HEADERS, and its one message if it has it.
    private func start(_ stream: ClientStream) {
        stream.id = nextStreamID
        nextStreamID += 2
        stream.outbound.window = h2.peerInitialWindow
        streams[stream.id] = stream
        h2.writer.headers(stream.head ?? ByteBuffer(), stream: stream.id, endStream: false, maxFrameSize: h2.peerMaxFrameSize)
        stream.head = nil
        if let message = stream.message {
            stream.message = nil
            send(message, on: stream, endStream: true)
        } else if stream.outbound.queued != nil || stream.outbound.end != nil {
            // Messages written while the call waited.
            let end = stream.outbound.end
            stream.outbound.end = nil
            let queued = stream.outbound.queued
            stream.outbound.queued = nil
            if let queued { send(queued, on: stream, endStream: end != nil) } else if end != nil { sendEnd(dataOn: stream) }
        }
        requestFlush()
    }

    /// Starts waiting calls while the server's limit allows.
    func startWaiting() {
        while !waiting.isEmpty, streams.count < h2.peerMaxConcurrentStreams, !isClosing {
            start(waiting.removeFirst())
        }
    }

    /// Writes one request message; returns what to wait for when too much waits for the socket.
    func send(_ message: ByteBuffer, on stream: ClientStream) throws -> EventLoopFuture<Void>? {
        guard !stream.ended, !stream.outboundClosed else { throw GRPCStatusError(.cancelled, "the call has ended") }
        stream.outbound.tracksWrites = true
        stream.pendingOutbound += message.readableBytes
        guard stream.id != 0 else {
            // Not started yet: kept in order for when it starts.
            if stream.outbound.queued == nil { stream.outbound.queued = message } else { stream.outbound.queued?.writeImmutableBuffer(message) }
            return waitIfFull(stream)
        }
        send(message, on: stream, endStream: false)
        return waitIfFull(stream)
    }

    private func waitIfFull(_ stream: ClientStream) -> EventLoopFuture<Void>? {
        guard stream.pendingOutbound > writeHighWatermark else { return nil }
        let drained = stream.drained ?? eventLoop.makePromise(of: Void.self)
        stream.drained = drained
        return drained.futureResult
    }

    /// Ends the request side (END_STREAM).
    func finishSending(_ stream: ClientStream) {
        guard !stream.ended, !stream.outboundClosed else { return }
        guard stream.id != 0 else {
            stream.outbound.end = .emptyData
            return
        }
        sendEnd(dataOn: stream)
    }

    /// Cancels a call: RST_STREAM CANCEL, and the call ends with `status`.
    func cancel(_ stream: ClientStream, _ status: CallStatus = CallStatus(code: .cancelled, message: "the call was cancelled")) {
        end(stream, status)
    }

    /// Closes the connection once no call is left.
    func closeGracefully() {
        closeWhenIdle = true
        becameUnusable()
        closeIfIdle()
    }

    func resumeReading(_ stream: ClientStream) {
        stream.window.paused = false
        openWindow(stream)
    }

    // MARK: Deadlines

    func scheduleSweep(at deadline: NIODeadline) {
        sweep?.cancel()
        sweepAt = deadline
        let this = NIOLoopBound(self, eventLoop: eventLoop)
        sweep = eventLoop.assumeIsolated().scheduleTask(deadline: deadline) { this.value.sweepDeadlines() }
    }

    /// Ends the calls past their deadline; the timer is set again for the soonest left.
    private func sweepDeadlines() {
        sweep = nil
        sweepAt = nil
        let now = NIODeadline.now()
        var soonest: NIODeadline?
        for stream in Array(streams.values) + waiting {
            guard let deadline = stream.deadline, !stream.ended else { continue }
            if deadline <= now {
                end(stream, CallStatus(code: .deadlineExceeded, message: "the call's deadline passed"))
            } else if soonest.map({ deadline < $0 }) ?? true {
                soonest = deadline
            }
        }
        if let soonest { scheduleSweep(at: soonest) }
    }

    func closeIfIdle() {
        guard closeWhenIdle, streams.isEmpty, waiting.isEmpty, let context else { return }
        flushNow()
        context.close(promise: nil)
    }
}
