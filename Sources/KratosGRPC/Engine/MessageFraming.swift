import NIOCore

/// Splits a stream's DATA into gRPC's length-prefixed messages (a flag byte, a 4-byte big-endian
/// length, the bytes), whatever the frame boundaries; refuses a message over the limit as soon as
/// its length is read, before its bytes arrive.
package struct MessageDeframer {
    package enum Failure: Error, Equatable {
        /// The declared length is over the limit (RESOURCE_EXHAUSTED).
        case tooLarge(length: Int, limit: Int)
        /// A compressed message on a stream with no `grpc-encoding` (INTERNAL).
        case compressedWithoutEncoding
        /// A flag other than 0 or 1 (INTERNAL).
        case badFlag(UInt8)
        /// The message did not decompress (INTERNAL).
        case corrupt
    }

    private let limit: Int
    private let encoding: MessageEncoding?
    private var buffered: ByteBuffer?

    package init(limit: Int, encoding: MessageEncoding?) {
        self.limit = limit
        self.encoding = encoding
    }

    /// Whether part of a message has arrived and the rest has not.
    package var hasPartialMessage: Bool { (buffered?.readableBytes ?? 0) > 0 }

    package mutating func append(_ data: ByteBuffer) {
        if buffered == nil || buffered?.readableBytes == 0 {
            buffered = data
        } else {
            buffered?.writeImmutableBuffer(data)
        }
    }

    /// The next whole message (decompressed), or nil until more bytes arrive.
    package mutating func next(allocator: ByteBufferAllocator) throws(Failure) -> ByteBuffer? {
        guard var buffer = buffered, buffer.readableBytes >= 5,
              let flag = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self),
              let length = buffer.getInteger(at: buffer.readerIndex + 1, as: UInt32.self) else { return nil }
        guard flag <= 1 else { throw .badFlag(flag) }
        guard Int(length) <= limit else { throw .tooLarge(length: Int(length), limit: limit) }
        guard buffer.readableBytes >= 5 + Int(length) else { return nil }
        buffer.moveReaderIndex(forwardBy: 5)
        guard let message = buffer.readSlice(length: Int(length)) else { return nil }
        buffered = buffer.readableBytes == 0 ? nil : buffer
        guard flag == 1 else { return message }
        guard let encoding else { throw .compressedWithoutEncoding }
        do {
            return try encoding.decompress(message, limit: limit, allocator: allocator)
        } catch .tooLarge {
            throw .tooLarge(length: limit + 1, limit: limit)
        } catch {
            throw .corrupt
        }
    }
}

/// Frames one message: `message` behind its flag and length, compressed when `encoding` is set.
package func framedMessage(_ message: ByteBuffer, encoding: MessageEncoding?, allocator: ByteBufferAllocator) throws -> ByteBuffer {
    let body = try encoding.map { try $0.compress(message, allocator: allocator) } ?? message
    var framed = allocator.buffer(capacity: 5 + body.readableBytes)
    framed.writeInteger(encoding == nil ? 0 as UInt8 : 1)
    framed.writeInteger(UInt32(body.readableBytes))
    framed.writeImmutableBuffer(body)
    return framed
}

/// Frames an uncompressed message straight from its serialized bytes (the common case: one copy).
package func framedMessage(bytes: some Collection<UInt8>, allocator: ByteBufferAllocator) -> ByteBuffer {
    var framed = allocator.buffer(capacity: 5 + bytes.count)
    framed.writeInteger(0 as UInt8)
    framed.writeInteger(UInt32(bytes.count))
    framed.writeBytes(bytes)
    return framed
}
