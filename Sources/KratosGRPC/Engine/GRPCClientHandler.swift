import Kratos
import NIOCore
import NIOHPACK
import NIOHTTP2

/// Runs gRPC calls on one client HTTP/2 connection at the frame level: opens a stream per call,
/// writes its headers and messages, reads its replies and trailers, applies its deadline.
final class GRPCClientHandler: ChannelInboundHandler {
    typealias InboundIn = HTTP2Frame
    typealias OutboundOut = HTTP2Frame

    let connection: FrameConnection
    let streamWindow: Int
    var streams: [HTTP2StreamID: ClientStream] = [:]
    var nextStreamID = 1
    /// The server sent GOAWAY or the connection closed: no new call starts here.
    private(set) var isClosing = false
    /// Close the connection once the last call ends.
    var closeWhenIdle = false
    /// The last stream the server said it would process (GOAWAY); later ones never started.
    var goAwayLastStream: HTTP2StreamID?
    /// Tells the connection's owner it should no longer be used.
    var onUnusable: (@Sendable () -> Void)?
    let writeHighWatermark = 64 * 1024

    let eventLoop: any EventLoop

    init(eventLoop: any EventLoop, streamWindow: Int, connectionWindow: Int) {
        self.eventLoop = eventLoop
        self.streamWindow = streamWindow
        connection = FrameConnection(connectionWindow: connectionWindow)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        connection.added(context)
    }

    func channelActive(context: ChannelHandlerContext) {
        connection.active()
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
        case .goAway(let last, _, _):
            goAwayLastStream = min(goAwayLastStream ?? last, last)
            becameUnusable()
            for (id, stream) in streams where id > last {
                end(stream, CallStatus(code: .unavailable, message: "the server is going away; the call did not start"))
            }
        default:
            break
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
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
            if let stream = streams[closed.streamID] {
                stream.inboundClosed = true
                stream.outboundClosed = true
                streams[closed.streamID] = nil
                if closed.reason == .cancel, stream.headers == nil {
                    // Perhaps the GOAWAY that follows in this read named an earlier last stream:
                    // then the call never started. Decided once that frame has been read.
                    let this = NIOLoopBound(self, eventLoop: eventLoop)
                    eventLoop.assumeIsolated().execute { this.value.resetBeforeReply(stream) }
                } else {
                    let reason = closed.reason.map { "\($0)" } ?? "closed"
                    end(stream, CallStatus(code: closed.reason == .refusedStream ? .unavailable : .cancelled,
                                           message: "the server reset the call (\(reason))"))
                }
                closeIfIdle()
            }
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        becameUnusable()
        let open = streams.values
        streams = [:]
        for stream in open {
            stream.inboundClosed = true
            stream.outboundClosed = true
            end(stream, CallStatus(code: .unavailable, message: "the connection closed"))
        }
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // The HTTP/2 layer answered it: RST_STREAM for a stream error (seen as StreamClosedEvent);
        // GOAWAY for a connection error, after which ``ConnectionErrorWatcher`` closes the connection.
    }

    func becameUnusable() {
        guard !isClosing else { return }
        isClosing = true
        onUnusable?()
    }

    // MARK: Calls

    /// Opens a call: writes its headers (and, for a unary call, its one message and END_STREAM).
    /// Replies are collected into the ending when `collecting`, else they stream through the
    /// returned messages.
    func open(_ head: HPACKHeaders, message: ByteBuffer?, collecting: Bool, maxReplySize: Int,
              timeout: Duration?) -> (HTTP2StreamID?, IncomingMessages, EventLoopFuture<CallEnding>) {
        let loop = eventLoop
        guard !isClosing, connection.context != nil, nextStreamID < Int(Int32.max) else {
            let status = CallStatus(code: .unavailable, message: "the connection is closing")
            return (nil, .none, loop.makeSucceededFuture(CallEnding(headers: nil, status: status, trailers: [:], replies: [])))
        }
        let id = HTTP2StreamID(nextStreamID)
        nextStreamID += 2
        let stream = ClientStream(id: id, maxReplySize: maxReplySize, window: InboundWindow(target: streamWindow),
                                  collecting: collecting, ending: loop.makePromise())
        streams[id] = stream
        var messages = IncomingMessages.none
        if !collecting {
            let this = NIOLoopBound(self, eventLoop: loop)
            let made = IncomingMessages.make { onEventLoop(loop) { this.value.resumeReading(id) } }
            messages = made.0
            stream.source = made.1
        }
        if let timeout {
            let this = NIOLoopBound(self, eventLoop: loop)
            stream.timer = loop.assumeIsolated().scheduleTask(in: .nanoseconds(timeout.saturatingNanoseconds)) {
                this.value.timedOut(id)
            }
        }
        connection.write(HTTP2Frame(streamID: id, payload: .headers(.init(headers: head, endStream: false))))
        if let message {
            stream.outboundClosed = true
            connection.write(HTTP2Frame(streamID: id, payload: .data(.init(data: .byteBuffer(message), endStream: true))))
        }
        return (id, messages, stream.ending.futureResult)
    }

    /// Writes one request message; returns what to wait for when too much waits for the socket.
    func send(_ message: ByteBuffer, on id: HTTP2StreamID) throws -> EventLoopFuture<Void>? {
        guard let stream = streams[id], !stream.ended else {
            throw GRPCStatusError(.cancelled, "the call has ended")
        }
        let promise = eventLoop.makePromise(of: Void.self)
        let size = message.readableBytes
        stream.pendingOutbound += size
        promise.futureResult.assumeIsolated().whenComplete { _ in stream.pendingOutbound -= size }
        connection.write(HTTP2Frame(streamID: id, payload: .data(.init(data: .byteBuffer(message)))), promise: promise)
        return stream.pendingOutbound > writeHighWatermark ? promise.futureResult : nil
    }

    /// Ends the request side (END_STREAM).
    func finishSending(_ id: HTTP2StreamID) {
        guard let stream = streams[id], !stream.ended, !stream.outboundClosed else { return }
        stream.outboundClosed = true
        connection.write(HTTP2Frame(streamID: id, payload: .data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))))
    }

    /// Cancels a call: RST_STREAM CANCEL, and the call ends CANCELLED.
    func cancel(_ id: HTTP2StreamID, _ status: CallStatus = CallStatus(code: .cancelled, message: "the call was cancelled")) {
        guard let stream = streams[id], !stream.ended else { return }
        end(stream, status)
    }

    /// Closes the connection once no call is left.
    func closeGracefully() {
        closeWhenIdle = true
        becameUnusable()
        closeIfIdle()
    }

    /// A call reset (CANCEL) before any reply: one beyond the server's GOAWAY never started and
    /// may be retried (UNAVAILABLE); any other was cancelled by the server.
    func resetBeforeReply(_ stream: ClientStream) {
        if let last = goAwayLastStream, stream.id > last {
            end(stream, CallStatus(code: .unavailable, message: "the server is going away; the call did not start"))
        } else {
            end(stream, CallStatus(code: .cancelled, message: "the server reset the call"))
        }
    }

    func timedOut(_ id: HTTP2StreamID) {
        streams[id]?.timer = nil
        cancel(id, CallStatus(code: .deadlineExceeded, message: "the call's deadline passed"))
    }

    func resumeReading(_ id: HTTP2StreamID) {
        guard let stream = streams[id] else { return }
        stream.window.paused = false
        openWindow(stream)
    }

    // MARK: Helpers

    static let missingStatus = CallStatus(code: .internal, message: "the reply's trailers carry no grpc-status")

    /// A reply that is not gRPC: its HTTP status mapped as the gRPC spec says, or a wrong content type.
    static func refusal(of headers: HPACKHeaders) -> CallStatus? {
        let status = headers.first(name: ":status") ?? ""
        guard status == "200" else {
            let code: GRPCStatusCode = switch status {
            case "400": .internal
            case "401": .unauthenticated
            case "403": .permissionDenied
            case "404": .unimplemented
            case "429", "502", "503", "504": .unavailable
            default: .unknown
            }
            return CallStatus(code: code, message: "the server answered HTTP \(status), not gRPC")
        }
        guard headers.first(name: "content-type")?.hasPrefix("application/grpc") == true else {
            return CallStatus(code: .unknown, message: "the server answered \(headers.first(name: "content-type") ?? "no content type"), not gRPC")
        }
        return nil
    }
}
