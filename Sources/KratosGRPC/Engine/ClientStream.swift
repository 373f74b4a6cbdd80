import NIOCore

/// How a client call ended: the reply headers, the status and trailing metadata, and (for a
/// call whose replies are collected) the reply messages.
package struct CallEnding: Sendable {
    package var headers: HeaderList?
    package var status: CallStatus
    package var trailers: HeaderList
    package var replies: [ByteBuffer]
    /// The server did not process the call (refused it, or went away before it started): it is
    /// safe to make again, elsewhere.
    package var unprocessed = false
}

/// One call's state on a client connection, touched only on the connection's event loop.
final class ClientStream: HTTP2Stream {
    /// 0 until its HEADERS go out (a call waits while the server's stream limit is reached).
    var id: UInt32 = 0
    let maxReplySize: Int
    /// Set once the reply headers name the encoding.
    var deframer: MessageDeframer?
    var window: InboundWindow
    var outbound: OutboundFlow
    var headers: HeaderList?
    /// Replies of a unary call, kept until it ends; nil when they stream through ``source``.
    var collected: [ByteBuffer]?
    var source: IncomingMessages.Producer.Source?
    let ending: EventLoopPromise<CallEnding>
    var ended = false
    /// The server ended its side (END_STREAM), or the stream is gone.
    var inboundClosed = false
    /// We ended ours.
    var outboundClosed = false
    /// When the call must end (its timeout).
    var deadline: NIODeadline?
    /// Request bytes written and not yet on the socket.
    var pendingOutbound = 0
    /// What a writer waits on while too much is on its way to the socket.
    var drained: EventLoopPromise<Void>?
    /// The request headers and, for a call of one request message, that message: sent when the
    /// stream starts.
    var head: ByteBuffer?
    var message: ByteBuffer?

    init(maxReplySize: Int, window: InboundWindow, sendWindow: Int, collecting: Bool, ending: EventLoopPromise<CallEnding>) {
        self.maxReplySize = maxReplySize
        self.window = window
        outbound = OutboundFlow(window: sendWindow)
        collected = collecting ? [] : nil
        self.ending = ending
    }
}
