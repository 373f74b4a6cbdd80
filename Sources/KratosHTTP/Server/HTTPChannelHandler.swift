import Kratos
import NIOCore
import NIOHTTP1

/// One connection's request handling: collects each request (413 past the body limit), starts
/// its handler on the connection's event loop, answers 504 at the deadline, and writes the reply.
final class HTTPChannelHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let dispatcher: Dispatcher
    private let executor: EventLoopExecutor
    private let maxBodySize: Int
    private let timeout: TimeAmount
    private let readTimeout: TimeAmount
    /// Armed while a request is only partly received.
    private var readTimer: Scheduled<Void>?
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var rejected = false
    private var endpoint = ""
    /// The app serving, read once per connection.
    private var app: AppInfo?

    /// The request being handled (pipelined requests wait in NIO's pipelining handler).
    private var inFlight: (id: UInt64, task: Task<Void, Never>?, timer: Scheduled<Void>?)?
    private var nextID: UInt64 = 0

    init(dispatcher: Dispatcher, eventLoop: any EventLoop, maxBodySize: Int, timeout: Duration, readTimeout: Duration) {
        self.readTimeout = TimeAmount(readTimeout)
        self.dispatcher = dispatcher
        self.executor = EventLoopExecutor(eventLoop)
        self.maxBodySize = maxBodySize
        self.timeout = TimeAmount(timeout)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        app = dispatcher.server.app
        if let address = context.channel.localAddress {
            endpoint = "http://\(address.ipAddress ?? "127.0.0.1"):\(address.port ?? 0)"
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = nil
            rejected = false
            if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > maxBodySize {
                rejectTooLarge(context: context, head: head)
            }
        case .body(var chunk):
            guard !rejected else { return }
            if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
            if body!.readableBytes > maxBodySize, let head {
                rejectTooLarge(context: context, head: head)
            }
        case .end:
            readTimer?.cancel()
            readTimer = nil
            guard let head, !rejected else { return }
            self.head = nil
            start(context: context, head: head, body: body.take())
        }
    }

    private func rejectTooLarge(context: ChannelHandlerContext, head: HTTPRequestHead) {
        rejected = true
        body = nil
        let (request, _) = dispatcher.prepare(head, body: nil, endpoint: endpoint, app: app)
        let error = KratosError(code: 413, reason: "PAYLOAD_TOO_LARGE", message: "request body larger than \(maxBodySize) bytes")
        write(Dispatcher.errorResponse(error, for: request), version: head.version, keepAlive: false, context: context)
    }

    private func start(context: ChannelHandlerContext, head: HTTPRequestHead, body: ByteBuffer?) {
        let (request, handler) = dispatcher.prepare(head, body: body, endpoint: endpoint, app: app)
        nextID &+= 1
        let id = nextID
        let keepAlive = head.isKeepAlive
        let loop = context.eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        let boundContext = NIOLoopBound(context, eventLoop: loop)
        let dispatcher = self.dispatcher
        inFlight = (id, nil, nil)
        let task = Task.immediate(executorPreference: executor) {
            let response = await dispatcher.respond(request, handler)
            if loop.inEventLoop {
                this.value.finish(id: id, response: response, version: head.version, keepAlive: keepAlive, context: boundContext.value)
            } else {
                loop.execute {
                    this.value.finish(id: id, response: response, version: head.version, keepAlive: keepAlive, context: boundContext.value)
                }
            }
        }
        // A handler that finished without suspending has answered already; only one still running
        // needs the deadline timer.
        guard inFlight?.id == id else { return }
        inFlight?.task = task
        inFlight?.timer = loop.assumeIsolated().scheduleTask(in: timeout) {
            this.value.timedOut(id: id, request: request, version: head.version, keepAlive: keepAlive, context: boundContext.value)
        }
    }

    private func finish(id: UInt64, response: HTTPResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        guard let current = inFlight, current.id == id else { return }
        current.timer?.cancel()
        inFlight = nil
        write(response, version: version, keepAlive: keepAlive, context: context)
    }

    private func timedOut(id: UInt64, request: HTTPRequest, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        guard let current = inFlight, current.id == id else { return }
        inFlight = nil
        current.task?.cancel()
        let error = KratosError.gatewayTimeout("TIMEOUT", "request timed out after \(timeout.nanoseconds / 1_000_000) ms")
        write(Dispatcher.errorResponse(error, for: request), version: version, keepAlive: keepAlive, context: context)
    }

    private func write(_ response: HTTPResponse, version: HTTPVersion, keepAlive: Bool, context: ChannelHandlerContext) {
        var headers = response.headers
        headers.replaceOrAdd(name: "content-length", value: String(response.body?.readableBytes ?? 0))
        if !keepAlive {
            headers.replaceOrAdd(name: "connection", value: "close")
        }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: version, status: response.status, headers: headers))), promise: nil)
        if let body = response.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in
                loopContext.value.close(promise: nil)
            }
        }
    }

    /// A request still incomplete after a read gets a deadline (complete ones, the common case,
    /// never arm a timer).
    func channelReadComplete(context: ChannelHandlerContext) {
        if let head, readTimer == nil, !rejected {
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
        guard self.head != nil else { return }
        rejected = true
        body = nil
        let (request, _) = dispatcher.prepare(head, body: nil, endpoint: endpoint, app: app)
        let error = KratosError(code: 408, reason: "REQUEST_TIMEOUT", message: "the request was not received within \(readTimeout.nanoseconds / 1_000_000) ms")
        write(Dispatcher.errorResponse(error, for: request), version: head.version, keepAlive: false, context: context)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let idle = event as? IdleStateHandler.IdleStateEvent, idle == .read {
            if inFlight == nil && head == nil {
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        readTimer?.cancel()
        readTimer = nil
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
