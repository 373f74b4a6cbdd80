import Kratos
import NIOCore
import NIOHTTP1

/// Streamed replies as bytes (see ``ResponseStream``): a head without `content-length`, then the
/// body in chunks as it is produced.
extension HTTPWire {
    /// The head of a streamed reply: `transfer-encoding: chunked` when `chunked` (HTTP/1.1), else
    /// the body runs until the connection closes (HTTP/1.0), so `close` is set then.
    static func encodeStreamHead(_ response: HTTPResponse, version: HTTPVersion, chunked: Bool, close: Bool,
                                 allocator: ByteBufferAllocator) -> ByteBuffer {
        let room = headRoom(response)
        var buffer = allocator.buffer(capacity: room)
        writeHead(response, version: version, room: room, into: &buffer) { head in
            if chunked { head.append("transfer-encoding: chunked\r\n") }
            if close { head.append("connection: close\r\n") }
        }
        return buffer
    }

    /// `bytes` as one chunk of a chunked body (`size CRLF bytes CRLF`), or as they are when the
    /// body is not chunked. Empty bytes give nothing (an empty chunk would end the body).
    static func chunk(_ bytes: ByteBuffer, chunked: Bool, allocator: ByteBufferAllocator) -> ByteBuffer {
        guard chunked, bytes.readableBytes > 0 else { return bytes }
        var buffer = allocator.buffer(capacity: bytes.readableBytes + 12)
        buffer.writeString(String(bytes.readableBytes, radix: 16))
        buffer.writeStaticString("\r\n")
        buffer.writeImmutableBuffer(bytes)
        buffer.writeStaticString("\r\n")
        return buffer
    }

    /// The end of a chunked body: the zero-length chunk, no trailers.
    static let lastChunk: StaticString = "0\r\n\r\n"
}
