import Kratos
import NIOCore
import NIOWebSocket

/// One WebSocket connection after the upgrade, behind NIO's frame decoder and encoder: carries
/// out what its ``WebSocketInbound`` decides, hands messages to the route's handler (through a
/// ``WebSocketSession``), writes the handler's messages, answers pings, and runs the closing
/// handshake.
///
/// Back-pressure both ways: the connection stops reading from the socket while the handler has
/// ``WebSocketInbound/isFull`` messages waiting, and a write completes only once the channel is
/// writable again, so neither a fast sender nor a slow reader grows the server's memory.
final class WebSocketChannelHandler: ChannelDuplexHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var inbound: WebSocketInbound
    private let closeTimeout: TimeAmount
    private var context: ChannelHandlerContext?
    /// The handler waiting for a message.
    private var receiver: EventLoopPromise<WebSocketInbound.Message?>?
    /// Writers waiting for the channel to become writable.
    private var writable: EventLoopPromise<Void>?
    /// Why no more messages will come (a protocol error, the peer closed, the connection is gone).
    private var failure: (any Error)?
    /// Our close frame is written: nothing else is sent, and only the peer's close matters.
    private var closeSent = false
    /// A read held back while the queue is full.
    private var readHeld = false
    private var closeTimer: Scheduled<Void>?
    private let eventLoop: any EventLoop
    /// Cancels the route's task: the client closed, so nobody reads what it would write.
    var peerLeft: () -> Void = {}

    init(options: KratosHTTPServer.WebSocketOptions, eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
        inbound = WebSocketInbound(maxMessageSize: options.effectiveMaxMessageSize, maxBufferedMessages: options.maxBufferedMessages)
        closeTimeout = TimeAmount(options.closeTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    // MARK: Receiving

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        if closeSent {
            // Closing: the peer's close completes the handshake; anything else is dropped.
            if frame.opcode == .connectionClose { context.close(promise: nil) }
            return
        }
        switch inbound.receive(frame) {
        case .none:
            deliver()
        case .pong(let payload):
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, data: payload)), promise: nil)
        case .peerClosed(var payload):
            // The client is leaving: echo its code, end the connection and cancel the handler
            // (at once: the echo may wait behind replies the client no longer reads).
            failure = CancellationError()
            closeSent = true
            var echo = context.channel.allocator.buffer(capacity: 2)
            if let code = payload.readInteger(as: UInt16.self) { echo.writeInteger(code) }
            let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: echo))).whenComplete { _ in
                loopContext.value.close(promise: nil)
            }
            wake(failing: CancellationError())
            peerLeft()
        case .violation(let code, let reason):
            refuse(code: code, reason: reason)
        }
    }

    /// Holds the read back while enough messages wait for the handler.
    func read(context: ChannelHandlerContext) {
        if !closeSent, inbound.isFull {
            readHeld = true
            return
        }
        context.read()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !closeSent else { return }
        switch error as? NIOWebSocketError {
        case .invalidFrameLength?:
            refuse(code: WebSocketCloseCode.messageTooLarge, reason: "a frame was larger than \(inbound.maxMessageSize) bytes")
        case .fragmentedControlFrame?, .multiByteControlFrameLength?:
            refuse(code: WebSocketCloseCode.protocolError, reason: "malformed control frame")
        case nil:
            context.close(promise: nil)
        }
    }

    /// The client broke the protocol: the handler's next read fails with 400, and the connection closes.
    private func refuse(code: UInt16, reason: String) {
        let error = KratosError.badRequest("WEBSOCKET_PROTOCOL", reason)
        failure = error
        close(code: code, reason: Array(reason.utf8.prefix(WebSocketCloseCode.maxReason)))
        wake(failing: error)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let waiting = writable {
            writable = nil
            waiting.succeed()
        }
        context.fireChannelWritabilityChanged()
    }

    func channelInactive(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        closeTimer = nil
        closeSent = true
        if failure == nil { failure = CancellationError() }
        wake(failing: CancellationError())
        context.fireChannelInactive()
    }

    // MARK: What the session asks (on the event loop)

    /// The next message; nil after the end marker. Fails once no more can come.
    func receive() -> EventLoopFuture<WebSocketInbound.Message?> {
        guard let context else { return eventLoop.makeFailedFuture(CancellationError()) }
        if let message = inbound.pop() {
            resumeReading()
            return context.eventLoop.makeSucceededFuture(message)
        }
        if let failure { return context.eventLoop.makeFailedFuture(failure) }
        if inbound.ended { return context.eventLoop.makeSucceededFuture(nil) }
        guard receiver == nil else {
            return context.eventLoop.makeFailedFuture(KratosError.internalServer("CONCURRENT_READ", "a message stream is read by one task at a time"))
        }
        let promise = context.eventLoop.makePromise(of: WebSocketInbound.Message?.self)
        receiver = promise
        return promise.futureResult
    }

    /// Writes one message frame and flushes; completes once the channel can take more.
    func send(_ bytes: ByteBuffer, binary: Bool) -> EventLoopFuture<Void> {
        guard let context else { return eventLoop.makeFailedFuture(CancellationError()) }
        guard !closeSent, context.channel.isActive else { return context.eventLoop.makeFailedFuture(CancellationError()) }
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: binary ? .binary : .text, data: bytes)), promise: nil)
        guard context.channel.isActive else { return context.eventLoop.makeFailedFuture(CancellationError()) }
        guard !context.channel.isWritable else { return context.eventLoop.makeSucceededVoidFuture() }
        // Writers on several tasks all wait for the same writability.
        if let waiting = writable { return waiting.futureResult }
        let promise = context.eventLoop.makePromise(of: Void.self)
        writable = promise
        return promise.futureResult
    }

    /// Starts the closing handshake once: writes the close frame, ends our side of the TCP
    /// stream, and keeps reading until the peer's close frame (or EOF) arrives or
    /// `closeTimeout` passes; then the connection closes.
    func close(code: UInt16, reason: [UInt8]) {
        guard let context, !closeSent, context.channel.isActive else { return }
        closeSent = true
        if failure == nil { failure = CancellationError() }
        var payload = context.channel.allocator.buffer(capacity: 2 + reason.count)
        payload.writeInteger(code)
        payload.writeBytes(reason)
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload))).whenComplete { _ in
            // A half close tells the peer we are done even when our frame decoder no longer can
            // read its close; where it is not supported (TLS), the timer or the peer ends it.
            loopContext.value.close(mode: .output, promise: nil)
        }
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: closeTimeout) {
            loopContext.value.close(promise: nil)
        }
        // Read on, so the peer's close arrives; queued messages are no longer wanted.
        while inbound.pop() != nil {}
        if readHeld {
            readHeld = false
            context.read()
        }
        wake(failing: failure ?? CancellationError())
    }

    /// The task waiting gave up (cancelled): its waits end.
    func cancelWaiters() {
        wake(failing: CancellationError())
    }

    private func deliver() {
        guard let waiting = receiver else { return }
        if let message = inbound.pop() {
            receiver = nil
            waiting.succeed(message)
            resumeReading()
        } else if inbound.ended {
            receiver = nil
            waiting.succeed(nil)
        }
    }

    private func resumeReading() {
        guard readHeld, !inbound.isFull, let context else { return }
        readHeld = false
        context.read()
    }

    private func wake(failing error: any Error) {
        let (receiving, writing) = (receiver, writable)
        receiver = nil
        writable = nil
        receiving?.fail(error)
        writing?.fail(error)
    }
}
