import NIOCore

/// The frames a connection writes before its next flush, gathered into one buffer (large DATA
/// payloads go as buffers of their own, not copied), so a read batch's answers leave in one
/// write. What to do once they are on the socket is gathered alongside.
struct FrameWriter {
    /// Payloads at least this large are written as they are rather than copied.
    static let copyLimit = 8 * 1024

    private var buffer: ByteBuffer
    private var ready: [ByteBuffer] = []
    private var whenWritten: [(Result<Void, any Error>) -> Void] = []
    private let allocator: ByteBufferAllocator

    init(allocator: ByteBufferAllocator) {
        self.allocator = allocator
        buffer = allocator.buffer(capacity: 0)
    }

    var isEmpty: Bool { buffer.readableBytes == 0 && ready.isEmpty }

    /// Runs once what is gathered now has been written to the socket (or failed to).
    mutating func whenWritten(_ body: @escaping (Result<Void, any Error>) -> Void) {
        whenWritten.append(body)
    }

    mutating func data(_ payload: ByteBuffer, stream: UInt32, endStream: Bool = false) {
        reserve(H2.frameHeaderSize + min(payload.readableBytes, Self.copyLimit))
        buffer.writeFrameHeader(length: payload.readableBytes, type: .data, flags: endStream ? H2.Flag.endStream : 0, stream: stream)
        if payload.readableBytes < Self.copyLimit {
            var payload = payload
            buffer.writeBuffer(&payload)
        } else {
            ready.append(buffer)
            ready.append(payload)
            buffer = allocator.buffer(capacity: 0)
        }
    }

    /// A header block in HEADERS, and CONTINUATION frames after it when it is larger than a frame.
    mutating func headers(_ block: ByteBuffer, stream: UInt32, endStream: Bool, maxFrameSize: Int) {
        var block = block
        reserve(block.readableBytes + H2.frameHeaderSize)
        var type = H2.FrameType.headers
        repeat {
            let length = min(block.readableBytes, maxFrameSize)
            let last = length == block.readableBytes
            var flags: UInt8 = last ? H2.Flag.endHeaders : 0
            if type == .headers, endStream { flags |= H2.Flag.endStream }
            buffer.writeFrameHeader(length: length, type: type, flags: flags, stream: stream)
            var fragment = block.readSlice(length: length) ?? ByteBuffer()
            buffer.writeBuffer(&fragment)
            type = .continuation
        } while block.readableBytes > 0
    }

    /// HEADERS with a block encoded straight into the buffer (the usual case: it fits a frame).
    mutating func headers(stream: UInt32, endStream: Bool, maxFrameSize: Int, encode: (inout ByteBuffer) -> Void) {
        reserve(256)
        let start = buffer.writerIndex
        buffer.writeFrameHeader(length: 0, type: .headers, flags: H2.Flag.endHeaders | (endStream ? H2.Flag.endStream : 0),
                                stream: stream)
        encode(&buffer)
        let length = buffer.writerIndex - start - H2.frameHeaderSize
        if length <= maxFrameSize {
            buffer.setInteger(UInt8(truncatingIfNeeded: length >> 16), at: start)
            buffer.setInteger(UInt16(truncatingIfNeeded: length), at: start + 1)
            return
        }
        let block = buffer.getSlice(at: start + H2.frameHeaderSize, length: length) ?? ByteBuffer()
        buffer.moveWriterIndex(to: start)
        headers(ByteBuffer(buffer: block), stream: stream, endStream: endStream, maxFrameSize: maxFrameSize)
    }

    /// The client connection preface: the magic octets, then our SETTINGS.
    mutating func preface(_ values: [(H2.Setting, Int)]) {
        reserve(H2.preface.count)
        buffer.writeBytes(H2.preface)
        settings(values)
    }

    mutating func rstStream(_ stream: UInt32, _ code: H2.ErrorCode) {
        reserve(13)
        buffer.writeFrameHeader(length: 4, type: .rstStream, stream: stream)
        buffer.writeInteger(code.rawValue)
    }

    mutating func windowUpdate(_ stream: UInt32, increment: Int) {
        reserve(13)
        buffer.writeFrameHeader(length: 4, type: .windowUpdate, stream: stream)
        buffer.writeInteger(UInt32(increment))
    }

    mutating func ping(_ data: UInt64, ack: Bool) {
        reserve(17)
        buffer.writeFrameHeader(length: 8, type: .ping, flags: ack ? H2.Flag.ack : 0, stream: 0)
        buffer.writeInteger(data)
    }

    mutating func goAway(lastStream: UInt32, _ code: H2.ErrorCode, debug: String = "") {
        let detail = Array(debug.utf8.prefix(256))
        reserve(17 + detail.count)
        buffer.writeFrameHeader(length: 8 + detail.count, type: .goAway, stream: 0)
        buffer.writeInteger(lastStream & 0x7FFF_FFFF)
        buffer.writeInteger(code.rawValue)
        buffer.writeBytes(detail)
    }

    mutating func settings(_ values: [(H2.Setting, Int)]) {
        reserve(9 + 6 * values.count)
        buffer.writeFrameHeader(length: 6 * values.count, type: .settings, stream: 0)
        for (setting, value) in values {
            buffer.writeInteger(setting.rawValue)
            buffer.writeInteger(UInt32(value))
        }
    }

    mutating func settingsAck() {
        reserve(9)
        buffer.writeFrameHeader(length: 0, type: .settings, flags: H2.Flag.ack, stream: 0)
    }

    /// Takes everything gathered, to be written with ``Batch/write(to:)`` — outside any access
    /// to this writer, since writing can re-enter the handler that owns it (a read, a close).
    mutating func take() -> Batch? {
        guard !isEmpty else { return nil }
        var buffers = ready
        if buffer.readableBytes > 0 { buffers.append(buffer) }
        ready = []
        buffer = allocator.buffer(capacity: 0)
        defer { whenWritten = [] }
        return Batch(buffers: buffers, whenWritten: whenWritten)
    }

    /// Frames taken from a writer, and what runs once they are on the socket.
    struct Batch {
        let buffers: [ByteBuffer]
        let whenWritten: [(Result<Void, any Error>) -> Void]

        /// Hands the frames to the channel and flushes them.
        func write(to context: ChannelHandlerContext) {
            for (index, bytes) in buffers.enumerated() {
                guard index == buffers.count - 1, !whenWritten.isEmpty else {
                    context.write(NIOAny(bytes), promise: nil)
                    continue
                }
                let promise = context.eventLoop.makePromise(of: Void.self)
                let callbacks = whenWritten
                promise.futureResult.assumeIsolated().whenComplete { result in
                    for callback in callbacks { callback(result) }
                }
                context.write(NIOAny(bytes), promise: promise)
            }
            context.flush()
        }
    }

    private mutating func reserve(_ bytes: Int) {
        if buffer.capacity == 0 { buffer = allocator.buffer(capacity: max(bytes, 4096)) }
    }
}
