import Kratos
import NIOCore
import NIOHTTP1

/// One connection, directly behind NIO's HTTP/1.1 request decoder: collects each request (413
/// past the body limit), answers pipelined requests in order, starts each handler on the
/// connection's event loop, answers 504 at the deadline, and writes each reply as one buffer.
///
/// It does itself what NIO's pipelining, protocol-error, header-validation, response-encoder and
/// idle-state handlers would do, so a reply travels down the pipeline once instead of three
/// times through five handlers.
final class HTTPChannelHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// A request fully received (or refused) and waiting for its turn.
    private enum Pending {
        case request(HTTPRequestHead, ByteBuffer?)
        /// An answer without a handler: 413, 408 or a malformed request; the connection closes after it.
        case refusal(KratosError, HTTPRequestHead?)
    }

    /// The request being answered.
    private struct Exchange {
        let id: UInt64
        let request: HTTPRequest
        let head: HTTPRequestHead
        var task: Task<Void, Never>?
        var timer: Scheduled<Void>?
    }

    private let dispatcher: Dispatcher
    private let executor: EventLoopExecutor
    private let maxBodySize: Int
    private let timeout: TimeAmount
    private let readTimeout: TimeAmount
    private let idleTimeout: TimeAmount
    /// The server's advertised endpoint and the app serving, read once per connection.
    private var endpoint = ""
    private var app: AppInfo?

    // The request being received.
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    /// The byte stream is unusable (a malformed or refused request): nothing more is read from it.
    private var broken = false
    /// Armed while a request is only partly received.
    private var readTimer: Scheduled<Void>?

    // Requests received, in order.
    private var inFlight: Exchange?
    private var queue = CircularBuffer<Pending>(initialCapacity: 2)
    private var nextID: UInt64 = 0
    private var draining = false
    /// A `read` held back while requests wait, as NIO's pipelining handler does.
    private var readPending = false
    /// The server is stopping: close once what was received is answered.
    private var quiescing = false

    private var lastRead = NIODeadline.now()
    private var idleTimer: Scheduled<Void>?

    init(dispatcher: Dispatcher, eventLoop: any EventLoop, maxBodySize: Int, timeout: Duration, readTimeout: Duration, idleTimeout: Duration) {
        self.dispatcher = dispatcher
        self.executor = EventLoopExecutor(eventLoop)
        self.maxBodySize = maxBodySize
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
        guard !broken else { return }
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > maxBodySize {
                refuse(tooLarge, head, context: context)
            } else if head.version.major == 1, head.version.minor >= 1, inFlight == nil, queue.isEmpty,
                      head.headers.first(name: "expect")?.lowercased() == "100-continue" {
                context.writeAndFlush(wrapOutboundOut(.byteBuffer(ByteBuffer(staticString: "HTTP/1.1 100 Continue\r\n\r\n"))), promise: nil)
            }
        case .body(var chunk):
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
            if body!.readableBytes > maxBodySize, let head {
                refuse(tooLarge, head, context: context)
            }
        case .end:
            readTimer?.cancel()
            readTimer = nil
            guard let head else { return }
            self.head = nil
            queue.append(.request(head, body.take()))
            serveQueued(context: context)
        }
    }

    private var tooLarge: KratosError {
        KratosError(code: 413, reason: "PAYLOAD_TOO_LARGE", message: "request body larger than \(maxBodySize) bytes")
    }

    /// Answers `error` in turn for the request being received, then closes: the rest of its body
    /// is never read.
    private func refuse(_ error: KratosError, _ head: HTTPRequestHead?, context: ChannelHandlerContext) {
        broken = true
        body = nil
        self.head = nil
        readTimer?.cancel()
        readTimer = nil
        queue.append(.refusal(error, head))
        serveQueued(context: context)
    }

    /// A request still incomplete after a read gets a deadline (complete ones, the common case,
    /// never arm a timer).
    func channelReadComplete(context: ChannelHandlerContext) {
        lastRead = .now()
        if let head, readTimer == nil {
            let this = NIOLoopBound(self, eventLoop: context.eventLoop)
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            readTimer = context.eventLoop.assumeIsolated().scheduleTask(in: readTimeout) {
                this.value.readTimedOut(head: head, context: boundContext.value)
            }
        }
        context.fireChannelReadComplete()
    }

    private func readTimedOut(head: HTTPRequestHead, context: ChannelHandlerContext) {
        readTimer = nil
        guard self.head != nil, !broken else { return }
        refuse(.init(code: 408, reason: "REQUEST_TIMEOUT", message: "the request was not received within \(readTimeout.nanoseconds / 1_000_000) ms"),
               head, context: context)
    }

    /// A malformed request is answered 400 in the error body, in turn, and the connection closed
    /// after it; once the stream is broken, later errors (such as the decoder refusing more
    /// data) wait for that close. Any other error closes the connection.
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if broken { return }
        guard error is HTTPParserError else {
            context.close(promise: nil)
            return
        }
        refuse(.badRequest("BAD_REQUEST", "malformed HTTP request: \(error)"), head, context: context)
    }

    /// Holds reads back while requests wait their turn, so a client that pipelines cannot make
    /// the server buffer without bound.
    func read(context: ChannelHandlerContext) {
        if queue.isEmpty {
            context.read()
        } else {
            readPending = true
        }
    }

    // MARK: Answering

    /// Starts the requests waiting, in order, until one is left running or none is left.
    private func serveQueued(context: ChannelHandlerContext) {
        guard !draining else { return }
        draining = true
        defer { draining = false }
        while inFlight == nil, let next = queue.popFirst() {
            switch next {
            case .request(let head, let body):
                start(context: context, head: head, body: body)
            case .refusal(let error, let head):
                let head = head ?? HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
                queue.removeAll()
                write(Reply.error(error, accept: head.headers.first(name: "accept"), codecs: dispatcher.codecs),
                      for: head, keepAlive: false, context: context)
                return
            }
        }
        if inFlight == nil, readPending {
            readPending = false
            context.read()
        }
    }

    private func start(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer?) {
        let (request, handler) = dispatcher.prepare(head, body: body, endpoint: endpoint, app: app)
        nextID &+= 1
        let id = nextID
        let loop = context.eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        let boundContext = NIOLoopBound(context, eventLoop: loop)
        let dispatcher = self.dispatcher
        inFlight = Exchange(id: id, request: request, head: head)
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
        guard inFlight?.id == id else { return }
        inFlight?.task = task
        inFlight?.timer = loop.assumeIsolated().scheduleTask(in: timeout) {
            this.value.timedOut(id: id, context: boundContext.value)
        }
    }

    private func finish(id: UInt64, response: HTTPResponse, context: ChannelHandlerContext) {
        guard let current = inFlight, current.id == id else { return }
        current.timer?.cancel()
        inFlight = nil
        write(response, for: current.head, keepAlive: current.head.isKeepAlive, context: context)
        serveQueued(context: context)
    }

    private func timedOut(id: UInt64, context: ChannelHandlerContext) {
        guard let current = inFlight, current.id == id else { return }
        inFlight = nil
        current.task?.cancel()
        let error = KratosError.gatewayTimeout("TIMEOUT", "request timed out after \(timeout.nanoseconds / 1_000_000) ms")
        write(Reply.error(error, for: current.request), for: current.head, keepAlive: current.head.isKeepAlive, context: context)
        serveQueued(context: context)
    }

    /// Writes the reply to `head` as one buffer; closes the connection after it unless it stays open.
    private func write(_ response: HTTPResponse, for head: HTTPRequestHead, keepAlive: Bool, context: ChannelHandlerContext) {
        var response = response
        if let invalid = HTTPWire.invalidHeader(in: response.headers) {
            dispatcher.logger.error("reply header is not valid HTTP; answering 500", metadata: ["header": "\(invalid)"])
            response = Reply.error(KratosError.internalServer("INVALID_HEADER", "the reply had an invalid header"),
                                   accept: head.headers.first(name: "accept"), codecs: dispatcher.codecs)
        }
        let last = !keepAlive || (quiescing && queue.isEmpty && self.head == nil)
            || response.headers.first(name: "connection")?.lowercased() == "close"
        let sendsBody = head.method != .HEAD && response.status.mayHaveResponseBody
        let (buffer, largeBody) = HTTPWire.encode(response, version: head.version, close: last, includingBody: sendsBody,
                                                  allocator: context.channel.allocator)
        if largeBody != nil {
            context.write(wrapOutboundOut(.byteBuffer(buffer)), promise: nil)
        }
        let final = largeBody ?? buffer
        if last {
            // Nothing after this reply is answered.
            broken = true
            queue.removeAll()
            let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(final))).whenComplete { _ in
                loopContext.value.close(promise: nil)
            }
        } else {
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(final)), promise: nil)
        }
    }

    // MARK: Idle connections and stopping

    private var isBusy: Bool { head != nil || inFlight != nil || !queue.isEmpty }

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
        if isBusy || idle < idleTimeout {
            armIdleTimer(context: context, in: isBusy ? idleTimeout : idleTimeout - idle)
        } else {
            context.close(promise: nil)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent {
            quiescing = true
            if !isBusy { context.close(promise: nil) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        readTimer?.cancel()
        readTimer = nil
        idleTimer?.cancel()
        idleTimer = nil
        queue.removeAll()
        if let current = inFlight {
            current.timer?.cancel()
            current.task?.cancel()
            inFlight = nil
        }
        context.fireChannelInactive()
    }
}

extension Optional {
    /// The value, leaving nil behind.
    mutating func take() -> Wrapped? {
        defer { self = nil }
        return self
    }
}
