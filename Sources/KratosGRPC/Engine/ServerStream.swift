import NIOCore

/// One call's state on its connection, touched only on the connection's event loop.
final class ServerStream: HTTP2Stream {
    let id: UInt32
    let method: GRPCMethod
    let path: String
    var deframer: MessageDeframer
    /// The one request message of a unary or server-streaming call, once it has arrived.
    var request: ByteBuffer?
    /// Where a streaming request's messages go; nil for the other kinds.
    var source: IncomingMessages.Producer.Source?
    var call: ServerCall?
    /// The stream's inbound flow control.
    var window: InboundWindow
    /// Replies waiting for the peer's window, and the window.
    var outbound: OutboundFlow
    /// The peer has ended its side (END_STREAM seen).
    var inboundClosed = false
    var headersSent = false
    /// Trailers sent or the stream reset: nothing more is written.
    var finished = false
    var task: Task<Void, Never>?
    /// When the call must end, and with what status (the server's timeout or the client's).
    var deadline: (NIODeadline, CallStatus)?
    var timer: Scheduled<Void>?
    /// The encoding replies are compressed with, if the peer accepts the one we prefer.
    let replyEncoding: MessageEncoding?
    /// Reply bytes written and not yet on the socket.
    var pendingOutbound = 0
    /// Reply messages gathered during this event-loop turn, written as one DATA frame before
    /// the flush.
    var pendingData: ByteBuffer?
    /// What a writer waits on while too much is on its way to the socket.
    var drained: EventLoopPromise<Void>?

    init(id: UInt32, method: GRPCMethod, path: String, deframer: MessageDeframer, window: InboundWindow, sendWindow: Int,
         replyEncoding: MessageEncoding?) {
        outbound = OutboundFlow(window: sendWindow)
        self.id = id
        self.method = method
        self.path = path
        self.deframer = deframer
        self.window = window
        self.replyEncoding = replyEncoding
    }
}
