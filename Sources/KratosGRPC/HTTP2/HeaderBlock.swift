import NIOCore

/// HPACK encoding of the header blocks we send: each field a literal not added to the dynamic
/// table (the name by its static-table index where it has one), strings as they are (no
/// Huffman). Stateless, so no table is kept per connection and a block can be built anywhere;
/// the few bytes this gives away against indexing are cheaper than the bookkeeping.
enum HeaderBlock {
    /// Names gRPC sends that the static table holds (RFC 7541 appendix A).
    private static let staticNames: [String: Int] = [
        ":authority": 1, ":method": 2, ":path": 4, ":scheme": 6, ":status": 8, "accept-encoding": 16,
        "content-type": 31, "user-agent": 58,
    ]

    static func write(_ name: String, _ value: String, into buffer: inout ByteBuffer) {
        if name == ":status", value == "200" {
            buffer.writeInteger(UInt8(0x88))  // indexed: static entry 8, ":status: 200"
            return
        }
        if let index = staticNames[name] {
            writeInteger(index, prefix: 4, pattern: 0x00, into: &buffer)
        } else {
            buffer.writeInteger(UInt8(0x00))
            writeString(name, into: &buffer)
        }
        writeString(value, into: &buffer)
    }

    static func write(_ headers: HeaderList, into buffer: inout ByteBuffer) {
        for (name, value) in headers { write(name, value, into: &buffer) }
    }

    static func write(_ fields: [(name: String, value: String)], into buffer: inout ByteBuffer) {
        for (name, value) in fields { write(name, value, into: &buffer) }
    }

    /// A block made once, for the fields every call sends alike.
    static func constant(_ fields: [(String, String)]) -> ByteBuffer {
        var buffer = ByteBuffer()
        for (name, value) in fields { write(name, value, into: &buffer) }
        return buffer
    }

    private static func writeString(_ string: String, into buffer: inout ByteBuffer) {
        writeInteger(string.utf8.count, prefix: 7, pattern: 0x00, into: &buffer)
        buffer.writeString(string)
    }

    /// An HPACK integer with an N-bit prefix (RFC 7541 §5.1).
    static func writeInteger(_ value: Int, prefix: Int, pattern: UInt8, into buffer: inout ByteBuffer) {
        let limit = (1 << prefix) - 1
        guard value >= limit else {
            buffer.writeInteger(pattern | UInt8(value))
            return
        }
        buffer.writeInteger(pattern | UInt8(limit))
        var rest = value - limit
        while rest >= 128 {
            buffer.writeInteger(UInt8(rest & 0x7F | 0x80))
            rest >>= 7
        }
        buffer.writeInteger(UInt8(rest))
    }
}
