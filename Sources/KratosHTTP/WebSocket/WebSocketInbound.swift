import NIOCore
import NIOWebSocket

/// What a WebSocket connection has received, without I/O: client frames checked (RFC 6455 §5),
/// fragments reassembled up to the size limit, complete messages queued for the handler, and
/// whether the queue is full (then the connection stops reading from the socket).
/// ``WebSocketChannelHandler`` feeds it frames and carries out what it answers.
///
/// A zero-length text message is the end marker: the client has no more messages (a half
/// close; it stays to read the replies).
struct WebSocketInbound {
    /// One complete message: its bytes and whether it came in binary frames (else text).
    struct Message: Sendable, Equatable {
        let binary: Bool
        let bytes: ByteBuffer
    }

    /// What to do after a frame.
    enum Action: Equatable {
        /// Nothing (a message may have been queued, or a fragment kept).
        case none
        /// Answer a ping with this pong payload.
        case pong(ByteBuffer)
        /// The client closed the connection; its close frame's payload.
        case peerClosed(ByteBuffer)
        /// The client broke the protocol: close with this code and reason.
        case violation(code: UInt16, reason: String)
    }

    let maxMessageSize: Int
    let maxBufferedMessages: Int
    private var queue = CircularBuffer<Message>(initialCapacity: 4)
    private var queuedBytes = 0
    private var partial: (binary: Bool, bytes: ByteBuffer)?
    /// The end marker arrived: no more messages.
    private(set) var ended = false

    init(maxMessageSize: Int, maxBufferedMessages: Int) {
        self.maxMessageSize = maxMessageSize
        self.maxBufferedMessages = max(1, maxBufferedMessages)
    }

    /// Enough is queued: stop reading until the handler takes some.
    var isFull: Bool { queue.count >= maxBufferedMessages || queuedBytes >= maxMessageSize }

    /// Messages waiting for the handler.
    var queued: Int { queue.count }

    mutating func receive(_ frame: WebSocketFrame) -> Action {
        guard frame.maskKey != nil else { return .violation(code: WebSocketCloseCode.protocolError, reason: "client frames must be masked") }
        guard !frame.rsv1, !frame.rsv2, !frame.rsv3 else {
            return .violation(code: WebSocketCloseCode.protocolError, reason: "reserved bits set without an extension")
        }
        switch frame.opcode {
        case .ping:
            return .pong(frame.unmaskedData)
        case .pong:
            return .none
        case .connectionClose:
            return .peerClosed(frame.unmaskedData)
        case .text, .binary:
            guard partial == nil else {
                return .violation(code: WebSocketCloseCode.protocolError, reason: "a new message began inside a fragmented one")
            }
            partial = (frame.opcode == .binary, frame.unmaskedData)
        case .continuation:
            guard partial != nil else {
                return .violation(code: WebSocketCloseCode.protocolError, reason: "a continuation frame without a message")
            }
            var data = frame.unmaskedData
            partial?.bytes.writeBuffer(&data)
        default:
            return .violation(code: WebSocketCloseCode.protocolError, reason: "unknown opcode \(frame.opcode)")
        }
        guard let (binary, bytes) = partial else { return .none }
        if bytes.readableBytes > maxMessageSize {
            partial = nil
            return .violation(code: WebSocketCloseCode.messageTooLarge, reason: "a message was larger than \(maxMessageSize) bytes")
        }
        guard frame.fin else { return .none }
        partial = nil
        guard !ended else {
            return .violation(code: WebSocketCloseCode.protocolError, reason: "a message after the end of the stream")
        }
        if !binary, bytes.readableBytes == 0 {
            ended = true
            return .none
        }
        queue.append(Message(binary: binary, bytes: bytes))
        queuedBytes += bytes.readableBytes
        return .none
    }

    /// The oldest message waiting, if any.
    mutating func pop() -> Message? {
        guard let message = queue.popFirst() else { return nil }
        queuedBytes -= message.bytes.readableBytes
        return message
    }
}
