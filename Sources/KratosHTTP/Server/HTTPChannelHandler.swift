import Kratos
import NIOCore
import KratosNIO
import NIOHTTP1

/// One connection, directly behind NIO's HTTP/1.1 request decoder: carries out what its
/// ``HTTPConnectionStateMachine`` decides — collects each request (413 past the body limit),
/// answers pipelined requests in order, starts each handler on the connection's event loop,
/// answers 504 at the deadline, writes each reply as one buffer, closes idle connections. A
/// streaming route's reply is written as it is produced instead (HTTPChannelHandler+Streaming).
///
/// It does itself what NIO's pipelining, protocol-error, header-validation, response-encoder and
/// idle-state handlers would do, so a reply travels down the pipeline once instead of three
/// times through five handlers.
final class HTTPChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// The handler answering the request the state machine started.
    struct Running {
        let id: UInt64
        let request: HTTPRequest
        var task: Task<Void, Never>?
        var timer: Scheduled<Void>?
        /// Set when the route streams its reply (see HTTPChannelHandler+Streaming).
        var stream: StreamProgress?
    }

    private let dispatcher: Dispatcher
    private let executor: EventLoopExecutor
    private let timeout: TimeAmount
    private let readTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    /// The server's advertised endpoint and the app serving, read once per connection.
    private var endpoint = ""
    private var app: AppInfo?

    var state: HTTPConnectionStateMachine
    var running: Running?
    /// The connection speaks WebSocket now (HTTPChannelHandler+WebSocket): bytes pass through.
    var upgraded = false
    /// Set while ``serveQueued(context:)`` runs, so a handler that answers at once does not
    /// start the next one from inside it.
    private var draining = false
    /// Armed while a request is only partly received.
    private var readTimer: Scheduled<Void>?
    private var lastRead = NIODeadline.now()
    private var idleTimer: Scheduled<Void>?

    init(dispatcher: Dispatcher, eventLoop: any EventLoop, maxBodySize: Int, timeout: Duration, readTimeout: Duration, idleTimeout: Duration) {
        self.dispatcher = dispatcher
        self.executor = EventLoopExecutor(eventLoop)
        self.state = HTTPConnectionStateMachine(maxBodySize: maxBodySize) { dispatcher.bodyLimit(for: $0) }
        self.timeout = TimeAmount(timeout)
        self.readTimeout = TimeAmount(readTimeout)
        self.idleTimeout = TimeAmount(idleTimeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        (endpoint, app) = dispatcher.server.core.serving
        if context.channel.isActive { armIdleTimer(context: context, in: idleTimeout) }
    }

    func channelActive(context: ChannelHandlerContext) {
        armIdleTimer(context: context, in: idleTimeout)
        context.fireChannelActive()
    }

    // MARK: Receiving

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !upgraded else {
            context.fireChannelRead(data)
            return
        }
        let action = switch unwrapInboundIn(data) {
        case .head(let head): state.receivedHead(head)
        case .body(let chunk): state.receivedBody(chunk)
        case .end: state.receivedEnd()
        }
        carryOut(action, context: context)
    }

    private func carryOut(_ action: HTTPConnectionStateMachine.ReceiveAction, context: ChannelHandlerContext) {
        switch action {
        case .nothing:
            break
        case .sendContinue:
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n"))), promise: nil)
        case .serveQueued:
            readTimer?.cancel()
            readTimer = nil
            serveQueued(context: context)
        }
    }

    /// A request still incomplete after a read gets a deadline (complete ones, the common case,
    /// never arm a timer).
    func channelReadComplete(context: ChannelHandlerContext) {
        lastRead = .now()
        if state.receiving != nil, readTimer == nil {
            let this = NIOLoopBound(self, eventLoop: context.eventLoop)
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            readTimer = context.eventLoop.assumeIsolated().scheduleTask(in: readTimeout) {
                this.value.readTimer = nil
                this.value.carryOut(this.value.state.readTimedOut(after: this.value.readTimeout), context: boundContext.value)
            }
        }
        context.fireChannelReadComplete()
    }

    /// A malformed request is answered 400 in the error body, in turn, and the connection closed
    /// after it; once the stream is broken, later errors (such as the decoder refusing more
    /// data) wait for that close. Any other error closes the connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard !upgraded else {
            context.fireErrorCaught(error)
            return
        }
        guard error is HTTPParserError || state.broken else {
            context.close(promise: nil)
            return
        }
        carryOut(state.malformed(error), context: context)
    }

    /// Holds reads back while requests wait their turn, so a client that pipelines cannot make
    /// the server buffer without bound.
    func read(context: ChannelHandlerContext) {
        if state.readRequested() { context.read() }
    }

    // MARK: Answering

    /// Starts the requests waiting, in order, until one is left running or none is left.
    private func serveQueued(context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while true {
            switch state.next() {
            case .start(let id, let head, let body):
                start(id: id, head: head, body: body, context: context)
            case .refuse(let error, let head):
                write(Reply.error(error, accept: head.headers.first(name: "accept"), codecs: dispatcher.codecs),
                      for: head, keepAlive: false, context: context)
                return
            case .read:
                context.read()
                return
            case .wait:
                return
            }
        }
    }

    private func start(id: UInt64, head: HTTPRequestHead, body: ByteBuffer?, context: ChannelHandlerContext) {
        let (request, handler, streams) = dispatcher.prepare(head, body: body, endpoint: endpoint, app: app) {
            ResponseStream(id: id, handler: self, context: context)
        } openWebSocket: {
            WebSocketUpgrade(id: id, handler: self, context: context)
        }
        let loop = context.eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        let boundContext = NIOLoopBound(context, eventLoop: loop)
        let dispatcher = self.dispatcher
        running = Running(id: id, request: request, stream: streams ? StreamProgress(head) : nil)
        let task = Task.immediate(executorPreference: executor) {
            let response = await dispatcher.respond(request, handler)
            if loop.inEventLoop {
                this.value.finish(id: id, response: response, context: boundContext.value)
            } else {
                loop.execute {
                    this.value.finish(id: id, response: response, context: boundContext.value)
                }
            }
        }
        // A handler that finished without suspending has answered already; only one still running
        // needs the deadline timer.
        guard running?.id == id else { return }
        running?.task = task
        // Streams have no deadline: they end with their handler, the peer or the server.
        guard running?.stream == nil else { return }
        running?.timer = loop.assumeIsolated().scheduleTask(in: timeout) {
            this.value.timedOut(id: id, context: boundContext.value)
        }
    }

    private func finish(id: UInt64, response: HTTPResponse, context: ChannelHandlerContext) {
        guard let head = state.finished(id: id) else { return }
        running?.timer?.cancel()
        let stream = running?.stream
        running = nil
        // An upgraded connection's route has closed its WebSocket; there is no HTTP reply.
        guard !upgraded else { return }
        if let stream, stream.headSent {
            endStream(stream, last: response, for: head, context: context)
        } else {
            write(response, for: head, keepAlive: head.keepsConnection, context: context)
        }
        serveQueued(context: context)
    }

    private func timedOut(id: UInt64, context: ChannelHandlerContext) {
        guard let head = state.finished(id: id), let current = running else { return }
        running = nil
        current.task?.cancel()
        let error = KratosError.gatewayTimeout("TIMEOUT", "request timed out after \(timeout.nanoseconds / 1_000_000) ms")
        write(Reply.error(error, for: current.request), for: head, keepAlive: head.keepsConnection, context: context)
        serveQueued(context: context)
    }

    /// Writes the reply to `head` as one buffer; closes the connection after it unless it stays open.
    private func write(_ response: HTTPResponse, for head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        if let invalid = HTTPWire.invalidHeader(in: response.headers) {
            dispatcher.logger.error("reply header is not valid HTTP; answering 500", metadata: ["header": "\(invalid)"])
            let error = Reply.error(KratosError.internalServer("INVALID_HEADER", "the reply had an invalid header"),
                                    accept: head.headers.first(name: "accept"), codecs: dispatcher.codecs)
            return write(error, for: head, keepAlive: keepAlive, context: context)
        }
        let last = state.isLastReply(keepAlive: keepAlive,
                                     replyAsksToClose: response.headers.first(name: "connection")?.lowercased() == "close")
        let sendsBody = head.method != .HEAD && response.status.mayHaveResponseBody
        let (buffer, largeBody) = HTTPWire.encode(response, version: head.version, close: last, includingBody: sendsBody,
                                                  allocator: context.channel.allocator)
        if largeBody != nil {
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
        }
        let final = largeBody ?? buffer
        if last {
            state.closing()
            let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(final))).whenComplete { _ in
                loopContext.value.close(promise: nil)
            }
        } else {
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(final)), promise: nil)
        }
    }

    // MARK: Idle connections and stopping

    /// One timer per connection, re-armed for what remains of the idle time (reads only record
    /// the time, as NIO's idle-state handler does).
    private func armIdleTimer(context: ChannelHandlerContext, in delay: TimeAmount) {
        idleTimer?.cancel()
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            this.value.idleTimerFired(context: boundContext.value)
        }
    }

    private func idleTimerFired(context: ChannelHandlerContext) {
        idleTimer = nil
        guard context.channel.isActive else { return }
        let idle = NIODeadline.now() - lastRead
        if state.isBusy || idle < idleTimeout {
            armIdleTimer(context: context, in: state.isBusy ? idleTimeout : idleTimeout - idle)
        } else {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            if state.quiesce() { context.close(promise: nil) } else { stopStream() }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        readTimer?.cancel()
        readTimer = nil
        idleTimer?.cancel()
        idleTimer = nil
        state.closed()
        running?.timer?.cancel()
        running?.task?.cancel()
        running?.stream?.writable?.fail(CancellationError())
        running = nil
        context.fireChannelInactive()
    }
}

extension HTTPRequestHead {
    /// Whether the connection stays open after the reply: kept alive, and not a request to
    /// switch protocols that a route answered over HTTP. After such a request the decoder reads
    /// what follows as the new protocol's bytes, so the connection could serve nothing more; it
    /// is closed after the reply instead (RFC 9110 lets a server ignore `Upgrade`).
    var keepsConnection: Bool {
        guard isKeepAlive else { return false }
        guard headers.contains(name: "upgrade") else { return true }
        return !headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
    }
}
