import Kratos
import NIOCore
import NIOHTTP1

/// The streaming path of ``HTTPChannelHandler``, beside the unary one: a route started as a
/// stream gets a ``ResponseStream``, has no deadline timer, and its reply's head and pieces are
/// written as they come; the reply ends when the route returns. Requests pipelined behind it wait
/// their turn as behind any other.
extension HTTPChannelHandler {
    /// Where a streamed reply is.
    struct StreamProgress {
        let version: HTTPVersion
        let keepAlive: Bool
        /// Chunked framing (HTTP/1.1); on HTTP/1.0 the body ends with the connection.
        let chunked: Bool
        /// False for `HEAD`: only the head is written.
        let sendsBody: Bool
        var headSent = false
        /// The head said `connection: close`.
        var closes = false
        /// The producer waiting for the connection to become writable again.
        var writable: EventLoopPromise<Void>?

        init(_ head: HTTPRequestHead) {
            version = head.version
            keepAlive = head.keepsConnection
            chunked = head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
            sendsBody = head.method != .HEAD
        }
    }

    /// Writes the head (when given) and `bytes` of request `id`'s stream, and flushes; the future
    /// completes once the channel is writable again (back-pressure), or fails with
    /// `CancellationError` when the request is no longer answered here.
    func sendStreamed(id: UInt64, head: HTTPResponse?, bytes: ByteBuffer, context: ChannelHandlerContext) -> EventLoopFuture<Void> {
        guard context.channel.isActive, let current = running, current.id == id, var stream = current.stream,
              head != nil || stream.headSent else {
            return context.eventLoop.makeFailedFuture(CancellationError())
        }
        let allocator = context.channel.allocator
        if let head {
            if let invalid = HTTPWire.invalidHeader(in: head.headers) {
                // Nothing is sent: the route's error reply goes out as a whole reply instead.
                return context.eventLoop.makeFailedFuture(
                    KratosError.internalServer("INVALID_HEADER", "the reply had an invalid header \(invalid)"))
            }
            stream.closes = !stream.chunked || state.isLastReply(keepAlive: stream.keepAlive, replyAsksToClose: false)
            context.write(wrapOutboundOut(.byteBuffer(HTTPWire.encodeStreamHead(
                head, version: stream.version, chunked: stream.chunked, close: stream.closes, allocator: allocator))), promise: nil)
            stream.headSent = true
        }
        if stream.sendsBody, bytes.readableBytes > 0 {
            context.write(wrapOutboundOut(.byteBuffer(HTTPWire.chunk(bytes, chunked: stream.chunked, allocator: allocator))), promise: nil)
        }
        context.flush()
        // A failed flush may have closed the connection already (and ended the request).
        guard context.channel.isActive, running?.id == id else { return context.eventLoop.makeFailedFuture(CancellationError()) }
        defer { running?.stream = stream }
        guard !context.channel.isWritable else { return context.eventLoop.makeSucceededVoidFuture() }
        // Writers on several tasks all wait for the same writability.
        if let waiting = stream.writable { return waiting.futureResult }
        let promise = context.eventLoop.makePromise(of: Void.self)
        stream.writable = promise
        return promise.futureResult
    }

    /// Ends a stream whose head was sent: `last`'s body as the final piece, the end of the chunked
    /// body, and the connection closed when the head said so or the server is stopping.
    func endStream(_ stream: StreamProgress, last: HTTPResponse, for head: HTTPRequestHead, context: ChannelHandlerContext) {
        stream.writable?.fail(CancellationError())
        let allocator = context.channel.allocator
        if stream.sendsBody, let body = last.body, body.readableBytes > 0 {
            context.write(wrapOutboundOut(.byteBuffer(HTTPWire.chunk(body, chunked: stream.chunked, allocator: allocator))), promise: nil)
        }
        var end = allocator.buffer(capacity: 5)
        if stream.sendsBody, stream.chunked { end.writeStaticString(HTTPWire.lastChunk) }
        guard stream.closes || state.isLastReply(keepAlive: head.keepsConnection, replyAsksToClose: false) else {
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(end)), promise: nil)
            return
        }
        state.closing()
        let loopContext = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.byteBuffer(end))).whenComplete { _ in
            loopContext.value.close(promise: nil)
        }
    }

    /// The server is stopping: a stream running ends (its handler is cancelled, a producer
    /// waiting to write is woken), so the connection can close after it.
    func stopStream() {
        guard let stream = running?.stream else { return }
        running?.stream?.writable = nil
        stream.writable?.fail(CancellationError())
        running?.task?.cancel()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable, let waiting = running?.stream?.writable {
            running?.stream?.writable = nil
            waiting.succeed()
        }
        context.fireChannelWritabilityChanged()
    }
}
