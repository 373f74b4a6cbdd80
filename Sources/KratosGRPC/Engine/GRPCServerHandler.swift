import Kratos
import KratosNIO
import Logging
import NIOCore

/// Serves gRPC on one HTTP/2 connection, HTTP/2 included: frames are read and written here
/// (``FrameReader``, ``FrameWriter``, ``HPACKDecoder``), with no channel or
/// state machine per stream. Each call's handler starts on the connection's event loop as soon
/// as it can run (the one request message arrived, or the headers of a streaming request) and
/// runs there until it first suspends, so a handler that does not suspend is answered within
/// the read that brought its request; a read batch's answers leave in one write.
final class GRPCServerHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

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
        /// SETTINGS_MAX_CONCURRENT_STREAMS: calls beyond it are refused (REFUSED_STREAM).
        var maxConcurrentStreams: Int
        /// Keepalive, idle and age limits, graceful close.
        var lifecycle: ConnectionLifecycle.Limits
        var logger: Logger
    }

    /// SETTINGS_MAX_HEADER_LIST_SIZE we advertise and enforce.
    static let maxHeaderListSize = 16 * 1024

    let settings: Settings
    let allocator: ByteBufferAllocator
    let executor: EventLoopExecutor
    let lifecycle: ConnectionLifecycle
    var context: ChannelHandlerContext?
    var streams: [UInt32: ServerStream] = [:]
    /// Streams with reply messages gathered this turn.
    var gathering: [ServerStream] = []
    /// Streams with a deadline that started in this read batch.
    var unarmed: [ServerStream] = []
    /// Reply bytes in flight per stream above which a writer waits for the socket.
    let writeHighWatermark = 64 * 1024

    /// The connection's HTTP/2 state (see ``HTTP2Endpoint``).
    var h2: HTTP2ConnectionState
    /// The highest stream the peer opened.
    var highestStream: UInt32 = 0

    init(settings: Settings, eventLoop: any EventLoop, allocator: ByteBufferAllocator) {
        self.settings = settings
        self.allocator = allocator
        executor = EventLoopExecutor(eventLoop)
        lifecycle = ConnectionLifecycle(limits: settings.lifecycle, eventLoop: eventLoop)
        h2 = HTTP2ConnectionState(allocator: allocator, expectsPreface: true, inboundTarget: settings.connectionWindow,
                                  maxHeaderListSize: Self.maxHeaderListSize)
        lifecycle.control = self
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func channelActive(context: ChannelHandlerContext) {
        h2.writer.settings([(.maxConcurrentStreams, settings.maxConcurrentStreams), (.initialWindowSize, settings.streamWindow),
                            (.maxHeaderListSize, Self.maxHeaderListSize)])
        if settings.connectionWindow > H2.defaultWindow {
            h2.writer.windowUpdate(0, increment: settings.connectionWindow - H2.defaultWindow)
            h2.inbound = settings.connectionWindow
        }
        requestFlush()
        lifecycle.active()
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        read(unwrapInboundIn(data))
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        if !unarmed.isEmpty { armTimers(context) }
        lifecycle.readComplete()
        readComplete()
        context.fireChannelReadComplete()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is ChannelShouldQuiesceEvent { lifecycle.close() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        h2.closing = true
        let open = streams.values
        streams = [:]
        for stream in open { abandon(stream) }
        lifecycle.inactive()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // I/O errors: the connection is of no further use.
        settings.logger.debug("gRPC connection error", metadata: ["error": "\(error)"])
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        holdingRead(context: context)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumingRead(context: context)
        context.fireChannelWritabilityChanged()
    }

    // MARK: Requests

    /// A new call's request headers (the stream already counted and accepted).
    func started(_ id: UInt32, headers: HeaderList, endStream: Bool) {
        lifecycle.streamOpened(id)
        guard headers.first(name: ":method") == "POST" else {
            return refuse(id, httpStatus: "405", CallStatus(code: .internal, message: "gRPC requires POST"), inputOpen: !endStream)
        }
        guard let contentType = headers.first(name: "content-type"), contentType.hasPrefix("application/grpc") else {
            return refuse(id, httpStatus: "415", CallStatus(code: .internal, message: "content-type must be application/grpc"),
                          inputOpen: !endStream)
        }
        guard headers.first(name: "te") == "trailers" else {
            return refuse(id, CallStatus(code: .internal, message: "the te: trailers header is required"), inputOpen: !endStream)
        }
        let path = headers.first(name: ":path") ?? ""
        guard let method = settings.methods[path] else {
            return refuse(id, CallStatus(code: .unimplemented, message: Self.unknown(path, among: settings.methods.keys)),
                          inputOpen: !endStream)
        }
        guard let encoding = MessageEncoding.named(headers.first(name: "grpc-encoding")) else {
            return refuse(id, CallStatus(code: .unimplemented,
                                         message: "grpc-encoding \(headers.first(name: "grpc-encoding") ?? "") is not supported; use one of \(MessageEncoding.acceptHeader)"),
                          inputOpen: !endStream, extra: [("grpc-accept-encoding", MessageEncoding.acceptHeader)])
        }
        // The server's own timeout bounds unary calls, as go-kratos's does; a streaming call
        // lasts as long as the client lets it (its grpc-timeout).
        var limit: Duration? = if case .unary = method { settings.timeout } else { nil }
        var timeoutStatus = settings.timeoutStatus
        if let value = headers.first(name: "grpc-timeout") {
            guard let asked = GRPCTimeout.parse(value) else {
                return refuse(id, CallStatus(code: .internal, message: "grpc-timeout \(value) is malformed"), inputOpen: !endStream)
            }
            if limit.map({ asked < $0 }) ?? true {
                limit = asked
                timeoutStatus = CallStatus(code: .deadlineExceeded, message: "the call's deadline passed")
            }
        }
        let stream = ServerStream(id: id, method: method, path: path,
                                  deframer: MessageDeframer(limit: settings.maxRequestSize, encoding: encoding),
                                  window: InboundWindow(target: settings.streamWindow), sendWindow: h2.peerInitialWindow,
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
        if endStream { inputEnded(stream) }
    }

    /// A DATA frame's content on a call's stream.
    func received(_ bytes: ByteBuffer, flowLength: Int, endStream: Bool, on stream: ServerStream) throws(H2.Failure) {
        guard !stream.inboundClosed else { throw .stream(stream.id, .streamClosed, "DATA after END_STREAM") }
        stream.window.remaining -= flowLength
        guard stream.window.remaining >= 0 else { throw .stream(stream.id, .flowControlError, "DATA beyond the stream's window") }
        guard !stream.finished else { return }
        if !stream.inboundClosed, context != nil {
            stream.deframer.append(bytes)
            do {
                while let message = try stream.deframer.next(allocator: allocator) {
                    deliver(message, to: stream)
                    if stream.finished { return }
                }
            } catch {
                return fail(stream, Self.status(of: error))
            }
        }
        if endStream { inputEnded(stream) }
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
        h2.writer.windowUpdate(stream.id, increment: increment)
        requestFlush()
    }

    // MARK: Helpers

    static let replyHeaders = [(name: ":status", value: "200"), (name: "content-type", value: "application/grpc")]
    static let replyHeaderBlock = HeaderBlock.constant(replyHeaders)
    static let okTrailerBlock = HeaderBlock.constant([("grpc-status", "0")])
    static let okTrailersOnlyBlock = HeaderBlock.constant(replyHeaders + [("grpc-status", "0")])
    static let reserved: Set<String> = ["content-type", "te", "grpc-status", "grpc-message", "grpc-status-details-bin",
                                                "grpc-encoding", "grpc-accept-encoding", "grpc-timeout", "connection",
                                                "transfer-encoding", "keep-alive", "upgrade"]

    /// Writes user metadata, lower-cased, leaving out pseudo-headers and what gRPC itself sends.
    static func add(_ fields: [(name: String, value: String)], to block: inout ByteBuffer) {
        for (name, value) in fields {
            let name = name.lowercased()
            guard !name.hasPrefix(":"), !reserved.contains(name), !name.isEmpty else { continue }
            HeaderBlock.write(name, value, into: &block)
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
