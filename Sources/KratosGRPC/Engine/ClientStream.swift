import NIOCore
import NIOHPACK
import NIOHTTP2

/// How a client call ended: the reply headers, the status and trailing metadata, and (for a
/// call whose replies are collected) the reply messages.
package struct CallEnding: Sendable {
    package var headers: HPACKHeaders?
    package var status: CallStatus
    package var trailers: HPACKHeaders
    package var replies: [ByteBuffer]
}

/// One call's state on a client connection, touched only on the connection's event loop.
final class ClientStream {
    let id: HTTP2StreamID
    let maxReplySize: Int
    /// Set once the reply headers name the encoding.
    var deframer: MessageDeframer?
    var window: InboundWindow
    var headers: HPACKHeaders?
    /// Replies of a unary call, kept until it ends; nil when they stream through ``source``.
    var collected: [ByteBuffer]?
    var source: IncomingMessages.Producer.Source?
    let ending: EventLoopPromise<CallEnding>
    var ended = false
    /// The server ended its side (END_STREAM), or the stream is gone.
    var inboundClosed = false
    /// We ended ours.
    var outboundClosed = false
    var timer: Scheduled<Void>?
    /// Request bytes written and not yet on the socket.
    var pendingOutbound = 0

    init(id: HTTP2StreamID, maxReplySize: Int, window: InboundWindow, collecting: Bool, ending: EventLoopPromise<CallEnding>) {
        self.id = id
        self.maxReplySize = maxReplySize
        self.window = window
        collected = collecting ? [] : nil
        self.ending = ending
    }
}
