import NIOCore
import NIOHTTP1
import Synchronization

/// The connection side of one streamed reply, held by the route answering it: the route sends
/// the reply's body in pieces as it produces them, each written and flushed at once, and the
/// reply ends when the route returns (its ``HTTPResponse``'s body is the last piece).
///
/// The connection writes the head (``HTTPResponse`` status and headers, chunked framing) before
/// the first piece. ``send(_:head:)`` returns once the connection can take more, so a producer
/// facing a slow reader waits instead of growing the write buffer; it throws `CancellationError`
/// once the reply cannot go on (the peer closed the connection, the server is stopping).
///
/// A streamed request has no deadline (go-kratos #3775): the unary timeout does not apply.
final class ResponseStream: Sendable {
    /// The request the stream answers, as the connection numbers them.
    private let id: UInt64
    private let loop: any EventLoop
    private let handler: NIOLoopBound<HTTPChannelHandler>
    private let context: NIOLoopBound<ChannelHandlerContext>
    /// Whether the head has been handed to the connection.
    private let headQueued = Atomic(false)

    /// Made on the connection's event loop, by the connection's handler.
    init(id: UInt64, handler: HTTPChannelHandler, context: ChannelHandlerContext) {
        self.id = id
        loop = context.eventLoop
        self.handler = NIOLoopBound(handler, eventLoop: context.eventLoop)
        self.context = NIOLoopBound(context, eventLoop: context.eventLoop)
    }

    /// Writes `bytes` and flushes; `head` is asked for once, before the first piece.
    /// - Throws: `CancellationError` when the reply cannot go on.
    func send(_ bytes: ByteBuffer, head: () -> HTTPResponse) async throws {
        try Task.checkCancellation()
        let first = headQueued.compareExchange(expected: false, desired: true, ordering: .relaxed).exchanged
        let head = first ? head() : nil
        let (id, handler, context) = (self.id, self.handler, self.context)
        let written = loop.inEventLoop
            ? handler.value.sendStreamed(id: id, head: head, bytes: bytes, context: context.value)
            : loop.flatSubmit { handler.value.sendStreamed(id: id, head: head, bytes: bytes, context: context.value) }
        try await written.get()
    }
}
