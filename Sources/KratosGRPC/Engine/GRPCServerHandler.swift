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

    let settings: Settings
    let executor: EventLoopExecutor
    let connection: FrameConnection
    let lifecycle: ConnectionLifecycle
    var streams: [HTTP2StreamID: ServerStream] = [:]
    /// Streams with reply messages gathered this turn.
    var gathering: [ServerStream] = []
    /// Streams with a deadline that started in this read batch.
    var unarmed: [ServerStream] = []
    var context: ChannelHandlerContext? { connection.context }
    /// Reply bytes in flight per stream above which a writer waits for the socket.
    let writeHighWatermark = 64 * 1024

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

    func received(_ frame: HTTP2Frame.FramePayload.Headers, on id: HTTP2StreamID) {
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

    func received(_ frame: HTTP2Frame.FramePayload.Data, on id: HTTP2StreamID) {
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

    func deliver(_ message: ByteBuffer, to stream: ServerStream) {
        if let source = stream.source {
            if source.yield(message) == .stopProducing { stream.window.paused = true }
        } else if stream.request == nil {
            stream.request = message
        } else {
            fail(stream, CallStatus(code: .unimplemented, message: "\(stream.path) takes one request message, not several"))
        }
    }

    func inputEnded(_ stream: ServerStream) {
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

    func openWindow(_ stream: ServerStream) {
        guard !stream.inboundClosed, !stream.finished,
              let increment = stream.window.increment(partialMessage: stream.deframer.hasPartialMessage) else { return }
        write(HTTP2Frame(streamID: stream.id, payload: .windowUpdate(windowSizeIncrement: increment)))
    }

    // MARK: Helpers

    static let replyHeaders = HPACKHeaders([(":status", "200"), ("content-type", "application/grpc")])
    static let reserved: Set<String> = ["content-type", "te", "grpc-status", "grpc-message", "grpc-status-details-bin",
                                                "grpc-encoding", "grpc-accept-encoding", "grpc-timeout", "connection",
                                                "transfer-encoding", "keep-alive", "upgrade"]

    /// Adds user metadata, lower-cased, leaving out pseudo-headers and what gRPC itself sends.
    static func add(_ fields: [(name: String, value: String)], to headers: inout HPACKHeaders) {
        for (name, value) in fields {
            let name = name.lowercased()
            guard !name.hasPrefix(":"), !reserved.contains(name), !name.isEmpty else { continue }
            headers.add(name: name, value: value)
        }
    }

    static func unknown(_ path: String, among methods: Dictionary<String, GRPCMethod>.Keys) -> String {
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].isEmpty, !parts[1].isEmpty, !parts[2].isEmpty else {
            return "\(path) is not a gRPC method path (/package.Service/Method)"
        }
        let service = "/\(parts[1])/"
        return methods.contains { $0.hasPrefix(service) } ? "unknown method \(parts[2]) of service \(parts[1])"
                                                           : "unknown service \(parts[1])"
    }

    static func status(of error: any Error) -> CallStatus {
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
