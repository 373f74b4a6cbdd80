import NIOCore

/// A stream as the HTTP/2 layer sees it: its number and what waits to be sent on it.
protocol HTTP2Stream: AnyObject {
    var id: UInt32 { get }
    var outbound: OutboundFlow { get set }
    /// Bytes a writer handed over that are not on the socket yet.
    var pendingOutbound: Int { get set }
    /// What a writer waits on while too many are.
    var drained: EventLoopPromise<Void>? { get set }
}

/// One stream's sending side: the peer's window, and what waits for it, in order.
struct OutboundFlow {
    /// How the stream's sending ends once everything queued is out.
    enum End {
        /// A header block with END_STREAM (a server's trailers).
        case headers(ByteBuffer)
        /// An empty DATA frame with END_STREAM (a client's end of request).
        case emptyData
    }

    /// What the peer lets us send on this stream.
    var window: Int
    var queued: ByteBuffer?
    var end: End?
    /// A writer counts its bytes until they are on the socket (see ``HTTP2Endpoint/written(_:on:_:)``).
    var tracksWrites = false

    init(window: Int) {
        self.window = window
    }
}

/// What either end of an HTTP/2 connection keeps about the connection itself.
struct HTTP2ConnectionState {
    var reader: FrameReader
    var writer: FrameWriter
    var decoder: HPACKDecoder
    var peerSettingsSeen = false
    var peerMaxFrameSize = H2.defaultMaxFrameSize
    var peerInitialWindow = H2.defaultWindow
    var peerMaxConcurrentStreams = Int.max
    /// What the peer lets us send on the connection.
    var sendWindow = H2.defaultWindow
    /// What the peer may still send on the connection before we open its window again.
    var inbound = H2.defaultWindow
    /// The connection window we keep open.
    let inboundTarget: Int
    /// A header block continued in CONTINUATION frames: its stream, the bytes so far, END_STREAM.
    var continuing: (stream: UInt32, block: ByteBuffer, endStream: Bool)?
    /// Streams with bytes waiting for the connection's send window.
    var blocked: [UInt32] = []
    /// A connection error was answered: nothing more is read.
    var closing = false
    /// Writes are flushed once per read batch, or once per event-loop turn outside reads.
    var reading = false
    var flushPending = false
    var flushScheduled = false
    /// A read held back while the socket does not take our writes (a peer that does not read).
    var readHeld = false

    init(allocator: ByteBufferAllocator, expectsPreface: Bool, inboundTarget: Int, maxHeaderListSize: Int) {
        reader = FrameReader(expectsPreface: expectsPreface)
        writer = FrameWriter(allocator: allocator)
        decoder = HPACKDecoder(maxHeaderListSize: maxHeaderListSize)
        self.inboundTarget = inboundTarget
    }
}
