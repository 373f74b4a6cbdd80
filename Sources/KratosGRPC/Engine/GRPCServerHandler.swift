import Kratos
import KratosNIO
import Logging
import NIOCore
import NIOHPACK
import NIOHTTP2

/// Serves gRPC on one HTTP/2 connection at the frame level: no channel per stream. Each call's
/// handler starts on the connection's event loop as soon as it can run (the one request message
/// arrived, or the headers of a streaming request) and runs there until it first suspends, so a
/// handler that does not suspend is answered within the read that brought its request, with one
/// flush per read batch.
final class GRPCServerHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    /// What every connection of a server shares.
    struct Settings: Sendable {
        var methods: [String: GRPCMethod]
        var maxRequestSize: Int
        var maxReplySize: Int
        /// The server's own limit for a unary call; a shorter `grpc-timeout` wins.
        var timeout: Duration?
        /// The status a call past the server's own deadline ends with.
        var timeoutStatus: CallStatus
        /// Compress replies with this when the client accepts it.
        var replyEncoding: MessageEncoding?
        /// SETTINGS_INITIAL_WINDOW_SIZE we advertise, and the connection window we keep open.
        var streamWindow: Int
        var connectionWindow: Int
        /// Keepalive, idle and age limits, graceful close.
        var lifecycle: ConnectionLifecycle.Limits
        var logger: Logger
    }

    private let settings: Settings
    private let executor: EventLoopExecutor
    private let connection: FrameConnection
    private let lifecycle: ConnectionLifecycle
    private var streams: [HTTP2StreamID: ServerStream] = [:]
    /// Streams with reply messages gathered this turn.
    private var gathering: [ServerStream] = []
    /// Streams with a deadline that started in this read batch.
    private var unarmed: [ServerStream] = []
    private var context: ChannelHandlerContext? { connection.context }
    /// Reply bytes in flight per stream above which a writer waits for the socket.
    private let writeHighWatermark = 64 * 1024

    init(settings: Settings, eventLoop: any EventLoop) {
        self.settings = settings
        executor = EventLoopExecutor(eventLoop)
        connection = FrameConnection(connectionWindow: settings.connectionWindow)
        lifecycle = ConnectionLifecycle(limits: settings.lifecycle, connection: connection)
        connection.beforeFlush = { [weak self] in self?.writeGathered() }
    }

    func handlerAdded(context: ChannelHandlerContext) {
        connection.added(context)
    }

    func channelActive(context: ChannelHandlerContext) {
        connection.active()
        lifecycle.active()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        connection.readStarted()
        let frame = unwrapInboundIn(data)
        switch frame.payload {
        case .headers(let headers):
            received(headers, on: frame.streamID)
        case .data(let data):
            received(data, on: frame.streamID)
        case .ping(let data, let ack):
            lifecycle.ping(data, ack: ack)
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !unarmed.isEmpty { armTimers(context) }
        lifecycle.readComplete()
        connection.readComplete()
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let update as NIOHTTP2WindowUpdatedEvent:
            if let (id, size) = connection.windowChanged(update), let stream = streams[id] {
                stream.window.remaining = size
                openWindow(stream)
            }
        case let closed as StreamClosedEvent:
            if let stream = streams.removeValue(forKey: closed.streamID) { abandon(stream) }
            lifecycle.streamClosed(closed.streamID)
        case is ChannelShouldQuiesceEvent:
            lifecycle.close()
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        let open = streams.values
        streams = [:]
        for stream in open { abandon(stream) }
        lifecycle.inactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The HTTP/2 layer answered it: RST_STREAM for a stream error; GOAWAY for a connection
        // error, after which ``ConnectionErrorWatcher`` closes the connection.
        settings.logger.debug("HTTP/2 error", metadata: ["error": "\(error)"])
    }

    // MARK: Requests

    private func received(_ frame: HTTP2Frame.FramePayload.Headers, on id: HTTP2StreamID) {
        if let stream = streams[id] {
            // Trailers from the client: only their END_STREAM matters.
            if frame.endStream { inputEnded(stream) }
            return
        }
        lifecycle.streamOpened(id)
        let headers = frame.headers
        guard headers.first(name: ":method") == "POST" else {
            return refuse(id, httpStatus: "405", CallStatus(code: .internal, message: "gRPC requires POST"), inputOpen: !frame.endStream)
        }
        guard let contentType = headers.first(name: "content-type"), contentType.hasPrefix("application/grpc") else {
            return refuse(id, httpStatus: "415", CallStatus(code: .internal, message: "content-type must be application/grpc"),
                          inputOpen: !frame.endStream)
        }
        guard headers.first(name: "te") == "trailers" else {
            return refuse(id, CallStatus(code: .internal, message: "the te: trailers header is required"), inputOpen: !frame.endStream)
        }
        let path = headers.first(name: ":path") ?? ""
        guard let method = settings.methods[path] else {
            return refuse(id, CallStatus(code: .unimplemented, message: Self.unknown(path, among: settings.methods.keys)),
                          inputOpen: !frame.endStream)
        }
        guard let encoding = MessageEncoding.named(headers.first(name: "grpc-encoding")) else {
            return refuse(id, CallStatus(code: .unimplemented,
                                         message: "grpc-encoding \(headers.first(name: "grpc-encoding") ?? "") is not supported; use one of \(MessageEncoding.acceptHeader)"),
                          inputOpen: !frame.endStream, extra: [("grpc-accept-encoding", MessageEncoding.acceptHeader)])
        }
        // The server's own timeout bounds unary calls, as go-kratos's does; a streaming call
        // lasts as long as the client lets it (its grpc-timeout).
        var limit: Duration? = if case .unary = method { settings.timeout } else { nil }
        var timeoutStatus = settings.timeoutStatus
        if let value = headers.first(name: "grpc-timeout") {
            guard let asked = GRPCTimeout.parse(value) else {
                return refuse(id, CallStatus(code: .internal, message: "grpc-timeout \(value) is malformed"), inputOpen: !frame.endStream)
            }
            if limit.map({ asked < $0 }) ?? true {
                limit = asked
                timeoutStatus = CallStatus(code: .deadlineExceeded, message: "the call's deadline passed")
            }
        }
        let stream = ServerStream(id: id, method: method, path: path,
                                  deframer: MessageDeframer(limit: settings.maxRequestSize, encoding: encoding),
                                  window: InboundWindow(target: settings.streamWindow),
                                  replyEncoding: MessageEncoding.reply(preferring: settings.replyEncoding,
                                                                       accepted: headers.first(name: "grpc-accept-encoding")))
        streams[id] = stream
        let deadline = limit.map { ContinuousClock.now + $0 }
        if let limit {
            // Armed at the end of the read batch, for calls not answered by then: most unary
            // calls never need the timer.
            stream.deadline = (NIODeadline.now() + .nanoseconds(limit.saturatingNanoseconds), timeoutStatus)
            unarmed.append(stream)
        }
        if case .requestStreaming(let body) = method {
            start(stream, headers: headers, deadline: deadline, body: body)
        } else {
            stream.call = makeCall(stream, headers: headers, deadline: deadline, messages: .none)
        }
        if frame.endStream { inputEnded(stream) }
    }

    private func received(_ frame: HTTP2Frame.FramePayload.Data, on id: HTTP2StreamID) {
        guard let stream = streams[id], !stream.finished, case .byteBuffer(let bytes) = frame.data else { return }
        if !stream.inboundClosed, let context {
            stream.deframer.append(bytes)
            do {
                while let message = try stream.deframer.next(allocator: context.channel.allocator) {
                    deliver(message, to: stream)
                    if stream.finished { return }
                }
            } catch {
                return fail(stream, Self.status(of: error))
            }
        }
        if frame.endStream { inputEnded(stream) }
        openWindow(stream)
    }

    private func deliver(_ message: ByteBuffer, to stream: ServerStream) {
        if let source = stream.source {
            if source.yield(message) == .stopProducing { stream.window.paused = true }
        } else if stream.request == nil {
            stream.request = message
        } else {
            fail(stream, CallStatus(code: .unimplemented, message: "\(stream.path) takes one request message, not several"))
        }
    }

    private func inputEnded(_ stream: ServerStream) {
        guard !stream.inboundClosed else { return }
        stream.inboundClosed = true
        guard !stream.finished else { return }
        if stream.deframer.hasPartialMessage {
            return fail(stream, CallStatus(code: .internal, message: "the request ended inside a message"))
        }
        if let source = stream.source {
            source.finish()
            return
        }
        guard let request = stream.request, let call = stream.call else {
            return fail(stream, CallStatus(code: .unimplemented, message: "\(stream.path) needs one request message; none came"))
        }
        stream.request = nil
        run(stream, call: call, request: request)
    }

    private func openWindow(_ stream: ServerStream) {
        guard !stream.inboundClosed, !stream.finished,
              let increment = stream.window.increment(partialMessage: stream.deframer.hasPartialMessage) else { return }
        write(HTTP2Frame(streamID: stream.id, payload: .windowUpdate(windowSizeIncrement: increment)))
    }

    // MARK: Running handlers

    private func makeCall(_ stream: ServerStream, headers: HPACKHeaders, deadline: ContinuousClock.Instant?,
                          messages: IncomingMessages) -> ServerCall {
        let loop = executor.eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        let id = stream.id
        return ServerCall(path: stream.path, headers: headers, deadline: deadline, messages: messages) { message in
            let wait = loop.inEventLoop ? try this.value.send(message, on: id)
                                        : try await loop.submit { try this.value.send(message, on: id) }.get()
            try await wait?.get()
        }
    }

    private func start(_ stream: ServerStream, headers: HPACKHeaders, deadline: ContinuousClock.Instant?,
                       body: @escaping @Sendable (ServerCall) async throws -> Void) {
        let loop = executor.eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        let id = stream.id
        let (messages, source) = IncomingMessages.make { onEventLoop(loop) { this.value.resumeReading(id) } }
        stream.source = source
        let call = makeCall(stream, headers: headers, deadline: deadline, messages: messages)
        stream.call = call
        let task = Task.immediate(executorPreference: executor) {
            let status = await GRPCServerHandler.ending(of: body, call)
            onEventLoop(loop) { this.value.finished(id, status, call: call) }
        }
        stream.task = task
    }

    private func run(_ stream: ServerStream, call: ServerCall, request: ByteBuffer) {
        let loop = executor.eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        let id = stream.id
        switch stream.method {
        case .unary(let body):
            let task = Task.immediate(executorPreference: executor) {
                let reply = await GRPCServerHandler.reply(of: body, request, call)
                onEventLoop(loop) { this.value.answered(id, reply, call: call) }
            }
            stream.task = task
        case .serverStreaming(let body):
            let task = Task.immediate(executorPreference: executor) {
                let status = await GRPCServerHandler.ending(of: body, request, call)
                onEventLoop(loop) { this.value.finished(id, status, call: call) }
            }
            stream.task = task
        case .requestStreaming:
            break
        }
    }

    private static func reply(of body: @Sendable (ByteBuffer, ServerCall) async throws -> [UInt8], _ request: ByteBuffer,
                              _ call: ServerCall) async -> Result<[UInt8], any Error> {
        do { return .success(try await body(request, call)) } catch { return .failure(error) }
    }

    private static func ending(of body: @Sendable (ByteBuffer, ServerCall) async throws -> Void, _ request: ByteBuffer,
                               _ call: ServerCall) async -> CallStatus {
        do {
            try await body(request, call)
            return .ok
        } catch {
            return CallStatus(error)
        }
    }

    private static func ending(of body: @Sendable (ServerCall) async throws -> Void, _ call: ServerCall) async -> CallStatus {
        do {
            try await body(call)
            return .ok
        } catch {
            return CallStatus(error)
        }
    }

    private func resumeReading(_ id: HTTP2StreamID) {
        guard let stream = streams[id] else { return }
        stream.window.paused = false
        openWindow(stream)
    }

    // MARK: Replies

    /// A unary handler's answer: headers, the message and the trailers in one go.
    private func answered(_ id: HTTP2StreamID, _ reply: Result<[UInt8], any Error>, call: ServerCall) {
        guard let stream = streams[id], !stream.finished else { return }
        switch reply {
        case .success(let bytes):
            do {
                try writeMessage(bytes, on: stream, call: call)
                finish(stream, .ok, call: call)
            } catch {
                finish(stream, CallStatus(error), call: call)
            }
        case .failure(let error):
            finish(stream, CallStatus(error), call: call)
        }
    }

    /// A streaming handler returned or threw.
    private func finished(_ id: HTTP2StreamID, _ status: CallStatus, call: ServerCall) {
        guard let stream = streams[id], !stream.finished else { return }
        finish(stream, status, call: call)
    }

    /// Gathers one reply message of a streaming call (the turn's messages go out as one DATA
    /// frame); returns what to wait for when too much is already on its way to the socket.
    private func send(_ bytes: [UInt8], on id: HTTP2StreamID) throws -> EventLoopFuture<Void>? {
        guard let stream = streams[id], !stream.finished, let call = stream.call, let context else {
            throw GRPCStatusError(.cancelled, "the call has ended")
        }
        let framed = try frame(bytes, on: stream)
        sendHeaders(stream, call: call)
        stream.pendingOutbound += framed.readableBytes
        if stream.pendingData == nil {
            stream.pendingData = framed
            gathering.append(stream)
        } else {
            stream.pendingData?.writeImmutableBuffer(framed)
        }
        if (stream.pendingData?.readableBytes ?? 0) >= writeHighWatermark { writeGathered(stream) }
        connection.requestFlush()
        guard stream.pendingOutbound > writeHighWatermark else { return nil }
        let drained = stream.drained ?? context.eventLoop.makePromise(of: Void.self)
        stream.drained = drained
        return drained.futureResult
    }

    /// Writes every stream's gathered replies, just before the flush.
    private func writeGathered() {
        let streams = gathering
        gathering = []
        for stream in streams { writeGathered(stream) }
    }

    private func writeGathered(_ stream: ServerStream) {
        guard let data = stream.pendingData, let context else { return }
        stream.pendingData = nil
        let size = data.readableBytes
        let promise = context.eventLoop.makePromise(of: Void.self)
        promise.futureResult.assumeIsolated().whenComplete { [writeHighWatermark] result in
            stream.pendingOutbound -= size
            guard let drained = stream.drained else { return }
            switch result {
            case .failure(let error):
                stream.drained = nil
                drained.fail(error)
            case .success where stream.pendingOutbound <= writeHighWatermark / 2:
                stream.drained = nil
                drained.succeed()
            case .success:
                break
            }
        }
        write(HTTP2Frame(streamID: stream.id, payload: .data(.init(data: .byteBuffer(data)))), promise: promise)
    }

    /// The reply framed (and compressed when the client accepts it), within the size limit.
    private func frame(_ bytes: [UInt8], on stream: ServerStream) throws -> ByteBuffer {
        guard bytes.count <= settings.maxReplySize else {
            throw GRPCStatusError(.resourceExhausted, "the reply of \(bytes.count) bytes is over the limit of \(settings.maxReplySize)")
        }
        let allocator = connection.allocator
        return try stream.replyEncoding.map { encoding in
            try framedMessage(ByteBuffer(bytes: bytes), encoding: encoding, allocator: allocator)
        } ?? framedMessage(bytes: bytes, allocator: allocator)
    }

    /// Writes a unary call's reply straight away.
    private func writeMessage(_ bytes: [UInt8], on stream: ServerStream, call: ServerCall) throws {
        let framed = try frame(bytes, on: stream)
        sendHeaders(stream, call: call)
        write(HTTP2Frame(streamID: stream.id, payload: .data(.init(data: .byteBuffer(framed)))))
    }

    private func sendHeaders(_ stream: ServerStream, call: ServerCall) {
        guard !stream.headersSent else { return }
        stream.headersSent = true
        var headers = Self.replyHeaders
        if let encoding = stream.replyEncoding { headers.add(name: "grpc-encoding", value: encoding.rawValue) }
        Self.add(call.replyHeaders(), to: &headers)
        write(HTTP2Frame(streamID: stream.id, payload: .headers(.init(headers: headers))))
    }

    /// Ends the call with its status: trailers after the replies, or trailers only.
    private func finish(_ stream: ServerStream, _ status: CallStatus, call: ServerCall?) {
        writeGathered(stream)
        stream.finished = true
        stream.timer?.cancel()
        stream.timer = nil
        stream.source?.finish(GRPCStatusError(.cancelled, "the call has ended"))
        var trailers: HPACKHeaders
        if stream.headersSent {
            trailers = HPACKHeaders()
        } else {
            stream.headersSent = true
            trailers = Self.replyHeaders
            Self.add(call?.replyHeaders() ?? [], to: &trailers)
        }
        status.write(into: &trailers)
        Self.add(call?.replyTrailers() ?? [], to: &trailers)
        guard let context else { return }
        let promise = context.eventLoop.makePromise(of: Void.self)
        write(HTTP2Frame(streamID: stream.id, payload: .headers(.init(headers: trailers, endStream: true))), promise: promise)
        if !stream.inboundClosed {
            // The client is still sending: once the trailers are out, tell it to stop.
            let this = NIOLoopBound(self, eventLoop: context.eventLoop)
            let id = stream.id
            promise.futureResult.assumeIsolated().whenSuccess {
                guard this.value.streams[id] != nil else { return }
                this.value.write(HTTP2Frame(streamID: id, payload: .rstStream(.noError)))
            }
        }
    }

    private func fail(_ stream: ServerStream, _ status: CallStatus) {
        guard !stream.finished else { return }
        stream.task?.cancel()
        finish(stream, status, call: stream.call)
    }

    private func armTimers(_ context: ChannelHandlerContext) {
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        for stream in unarmed where !stream.finished {
            guard let (deadline, status) = stream.deadline else { continue }
            let id = stream.id
            stream.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                this.value.timedOut(id, status)
            }
        }
        unarmed = []
    }

    private func timedOut(_ id: HTTP2StreamID, _ status: CallStatus) {
        guard let stream = streams[id], !stream.finished else { return }
        stream.timer = nil
        fail(stream, status)
    }

    /// The stream is gone (both sides done, reset by the peer, or the connection closed): a
    /// handler still running is cancelled.
    private func abandon(_ stream: ServerStream) {
        stream.pendingData = nil
        stream.drained?.fail(GRPCStatusError(.cancelled, "the client cancelled the call"))
        stream.drained = nil
        stream.timer?.cancel()
        stream.task?.cancel()
        stream.source?.finish(GRPCStatusError(.cancelled, "the client cancelled the call"))
        stream.finished = true
    }

    /// Answers without running anything: trailers only.
    private func refuse(_ id: HTTP2StreamID, httpStatus: String = "200", _ status: CallStatus, inputOpen: Bool,
                        extra: [(String, String)] = []) {
        var headers = HPACKHeaders([(":status", httpStatus), ("content-type", "application/grpc")])
        for (name, value) in extra { headers.add(name: name, value: value) }
        status.write(into: &headers)
        write(HTTP2Frame(streamID: id, payload: .headers(.init(headers: headers, endStream: true))))
        if inputOpen { write(HTTP2Frame(streamID: id, payload: .rstStream(.noError))) }
    }

    private func write(_ frame: HTTP2Frame, promise: EventLoopPromise<Void>? = nil) {
        connection.write(frame, promise: promise)
    }

    // MARK: Helpers

    private static let replyHeaders = HPACKHeaders([(":status", "200"), ("content-type", "application/grpc")])
    private static let reserved: Set<String> = ["content-type", "te", "grpc-status", "grpc-message", "grpc-status-details-bin",
                                                "grpc-encoding", "grpc-accept-encoding", "grpc-timeout", "connection",
                                                "transfer-encoding", "keep-alive", "upgrade"]

    /// Adds user metadata, lower-cased, leaving out pseudo-headers and what gRPC itself sends.
    private static func add(_ fields: [(name: String, value: String)], to headers: inout HPACKHeaders) {
        for (name, value) in fields {
            let name = name.lowercased()
            guard !name.hasPrefix(":"), !reserved.contains(name), !name.isEmpty else { continue }
            headers.add(name: name, value: value)
        }
    }

    private static func unknown(_ path: String, among methods: Dictionary<String, GRPCMethod>.Keys) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            return "\(path) is not a gRPC method path (/package.Service/Method)"
        }
        let service = "/\(parts[1])/"
        return methods.contains { $0.hasPrefix(service) } ? "unknown method \(parts[2]) of service \(parts[1])"
                                                           : "unknown service \(parts[1])"
    }

    private static func status(of error: any Error) -> CallStatus {
        switch error as? MessageDeframer.Failure {
        case .tooLarge(let length, let limit)?:
            return CallStatus(code: .resourceExhausted, message: "the request message of \(length) bytes is over the limit of \(limit)")
        case .compressedWithoutEncoding?:
            return CallStatus(code: .internal, message: "a compressed message came without grpc-encoding")
        case .badFlag(let flag)?:
            return CallStatus(code: .internal, message: "message flag \(flag) is not 0 or 1")
        case .corrupt?:
            return CallStatus(code: .internal, message: "the compressed message could not be decompressed")
        case nil:
            return CallStatus(code: .internal, message: "\(error)")
        }
    }
}
