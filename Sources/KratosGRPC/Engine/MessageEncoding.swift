import Foundation
import CZlib
import NIOCore

/// A `grpc-encoding` besides `identity`: messages flagged compressed are
/// compressed with it. Only gzip is supported (what every gRPC implementation offers).
public enum MessageEncoding: String, Sendable, CaseIterable {
    case gzip

    /// The value of `grpc-accept-encoding` the engine sends.
    package static let acceptHeader = "identity,gzip"

    /// The encoding a `grpc-encoding` value names: `.some(nil)` for identity, nil when unsupported.
    package static func named(_ name: String?) -> MessageEncoding?? {
        guard let name, !name.isEmpty, name != "identity" else { return .some(nil) }
        return MessageEncoding(rawValue: name).map { .some($0) }
    }

    /// The encoding to reply with, given the peer's `grpc-accept-encoding` and what we prefer.
    package static func reply(preferring preferred: MessageEncoding?, accepted header: String?) -> MessageEncoding? {
        guard let preferred, let header else { return nil }
        let accepted = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        return accepted.contains(preferred.rawValue) ? preferred : nil
    }

    /// Compresses `bytes` into a gzip member.
    package func compress(_ bytes: ByteBuffer, allocator: ByteBufferAllocator) throws(EncodingError) -> ByteBuffer {
        var stream = z_stream()
        guard deflateInit2_(&stream, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY,
                            zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw .failed }
        defer { deflateEnd(&stream) }
        let bound = Int(deflateBound(&stream, UInt(bytes.readableBytes)))
        var output = allocator.buffer(capacity: bound)
        var status = Z_OK
        bytes.withUnsafeReadableBytes { input in
            _ = output.writeWithUnsafeMutableBytes(minimumWritableBytes: bound) { out in
                stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
                stream.avail_in = UInt32(input.count)
                stream.next_out = out.bindMemory(to: UInt8.self).baseAddress
                stream.avail_out = UInt32(out.count)
                status = deflate(&stream, Z_FINISH)
                return out.count - Int(stream.avail_out)
            }
        }
        guard status == Z_STREAM_END, stream.avail_in == 0 else { throw .failed }
        return output
    }

    /// Decompresses `bytes`, refusing output longer than `limit`.
    package func decompress(_ bytes: ByteBuffer, limit: Int, allocator: ByteBufferAllocator) throws(EncodingError) -> ByteBuffer {
        var stream = z_stream()
        // 15 + 32: a gzip or zlib header, detected.
        guard inflateInit2_(&stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else { throw .failed }
        defer { inflateEnd(&stream) }
        var output = allocator.buffer(capacity: min(max(bytes.readableBytes * 2, 256), limit + 1))
        var status = Z_OK
        bytes.withUnsafeReadableBytes { input in
            stream.next_in = UnsafeMutablePointer(mutating: input.bindMemory(to: UInt8.self).baseAddress)
            stream.avail_in = UInt32(input.count)
            while status == Z_OK, output.readableBytes <= limit {
                let room = min(max(output.writableBytes, 4096), limit + 1 - output.readableBytes)
                output.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { out in
                    stream.next_out = out.bindMemory(to: UInt8.self).baseAddress
                    stream.avail_out = UInt32(min(out.count, room))
                    status = inflate(&stream, Z_NO_FLUSH)
                    return min(out.count, room) - Int(stream.avail_out)
                }
                if status == Z_BUF_ERROR, stream.avail_in == 0 { break }
                if status == Z_BUF_ERROR { status = Z_OK }
            }
        }
        if output.readableBytes > limit { throw .tooLarge }
        guard status == Z_STREAM_END else { throw .failed }
        return output
    }

    package enum EncodingError: Error, Sendable {
        case failed
        case tooLarge
    }
}
