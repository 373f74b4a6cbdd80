import NIOCore

/// Cuts the bytes a connection reads into HTTP/2 frames: the client preface first, then frame
/// after frame, each payload a slice of what was read (no copy). Bytes of a frame not complete
/// yet wait for the next read; a frame longer than we accept is a connection error before any
/// of its payload is buffered.
struct FrameReader {
    struct Frame {
        var type: UInt8
        var flags: UInt8
        var stream: UInt32
        var payload: ByteBuffer

        func has(_ flag: UInt8) -> Bool { flags & flag != 0 }
    }

    /// The largest payload accepted (our SETTINGS_MAX_FRAME_SIZE).
    let maxFrameSize: Int
    private var pending: ByteBuffer?
    private var prefaceSeen: Bool

    init(maxFrameSize: Int = H2.defaultMaxFrameSize, expectsPreface: Bool) {
        self.maxFrameSize = maxFrameSize
        prefaceSeen = !expectsPreface
    }

    mutating func append(_ bytes: ByteBuffer) {
        if pending == nil || pending?.readableBytes == 0 {
            pending = bytes
        } else {
            pending?.writeImmutableBuffer(bytes)
        }
    }

    /// The next complete frame, nil when more bytes are needed.
    mutating func next() throws(H2.Failure) -> Frame? {
        guard var buffer = pending else { return nil }
        pending = nil
        defer { if buffer.readableBytes > 0 { pending = buffer } }
        if !prefaceSeen {
            let count = min(buffer.readableBytes, H2.preface.count)
            guard buffer.readableBytesView.prefix(count).elementsEqual(H2.preface.prefix(count)) else {
                throw .connection(.protocolError, "the connection did not start with the HTTP/2 client preface")
            }
            guard count == H2.preface.count else { return nil }
            buffer.moveReaderIndex(forwardBy: count)
            prefaceSeen = true
        }
        guard buffer.readableBytes >= H2.frameHeaderSize,
              let high = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let low = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt16.self) else { return nil }
        let length = Int(high) << 16 | Int(low)
        guard length <= maxFrameSize else {
            throw .connection(.frameSizeError, "a frame of \(length) bytes is over the maximum of \(maxFrameSize)")
        }
        guard buffer.readableBytes >= H2.frameHeaderSize + length else { return nil }
        buffer.moveReaderIndex(forwardBy: 3)
        guard let type = buffer.readInteger(as: UInt8.self), let flags = buffer.readInteger(as: UInt8.self),
              let stream = buffer.readInteger(as: UInt32.self), let payload = buffer.readSlice(length: length) else {
            return nil
        }
        return Frame(type: type, flags: flags, stream: stream & 0x7FFF_FFFF, payload: payload)
    }
}

extension FrameReader.Frame {
    /// The payload without its padding (DATA and HEADERS with PADDED), and without the priority
    /// fields of HEADERS with PRIORITY.
    func content(priorityFields: Bool = false) throws(H2.Failure) -> ByteBuffer {
        var payload = self.payload
        var padding = 0
        if has(H2.Flag.padded) {
            guard let length = payload.readInteger(as: UInt8.self) else {
                throw .connection(.frameSizeError, "a padded frame without its pad length")
            }
            padding = Int(length)
        }
        if priorityFields, has(H2.Flag.priority) {
            guard payload.readSlice(length: 5) != nil else {
                throw .connection(.frameSizeError, "HEADERS with PRIORITY shorter than its priority fields")
            }
        }
        guard padding <= payload.readableBytes else {
            throw .connection(.protocolError, "padding longer than the frame's payload")
        }
        return payload.getSlice(at: payload.readerIndex, length: payload.readableBytes - padding) ?? payload
    }
}
