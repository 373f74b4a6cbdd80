import Kratos
import NIOCore
import NIOHTTP1

/// HTTP/1.1 replies as bytes: status line, headers, framing and body in one buffer.
enum HTTPWire {
    /// Bodies up to this size are copied behind the head, so the reply is one write; larger ones
    /// are appended without copying their storage twice.
    static let inlineBodyLimit = 16 << 10

    /// `response` as it goes on the wire: the head with the body behind it, or, for a body past
    /// ``inlineBodyLimit``, the head and the body to write after it. The framing headers are the
    /// server's own: `content-length` for the body and `connection` as `close` says; the
    /// handler's `content-length`, `transfer-encoding` and `connection` are left out.
    static func encode(_ response: HTTPResponse, version: HTTPVersion, close: Bool, includingBody: Bool,
                       allocator: ByteBufferAllocator) -> (head: ByteBuffer, body: ByteBuffer?) {
        let bodyLength = response.body?.readableBytes ?? 0
        let inline = includingBody && bodyLength <= inlineBodyLimit
        let room = headRoom(response)
        var buffer = allocator.buffer(capacity: room + (inline ? bodyLength : 0))
        let framesLength = response.status.mayHaveResponseBody
        writeHead(response, version: version, room: room, into: &buffer) { head in
            if framesLength {
                head.append("content-length: ")
                head.append(decimal: UInt(bodyLength))
                head.append("\r\n")
            }
            if close {
                head.append("connection: close\r\n")
            } else if version.major == 1, version.minor == 0 {
                head.append("connection: keep-alive\r\n")
            }
        }
        guard includingBody, var body = response.body, bodyLength > 0 else { return (buffer, nil) }
        guard inline else { return (buffer, body) }
        buffer.writeBuffer(&body)
        return (buffer, nil)
    }

    /// Bytes enough for `response`'s head: the status line (70 and the reason phrase at most),
    /// its headers, up to 64 of framing lines and the blank line.
    static func headRoom(_ response: HTTPResponse) -> Int {
        var room = 140 + response.status.reasonPhrase.utf8.count
        for (name, value) in response.headers { room += name.utf8.count + value.utf8.count + 4 }
        return room
    }

    /// Writes `response`'s head into `buffer` in one pass through a pointer (a ByteBuffer write
    /// per piece checks capacity and exclusive access each time), within `room` (its
    /// ``headRoom(_:)``): the status line, the handler's headers but the framing ones, the
    /// server's own `framing` lines (64 bytes at most), the blank line.
    static func writeHead(_ response: HTTPResponse, version: HTTPVersion, room: Int, into buffer: inout ByteBuffer,
                          framing: (inout ByteWriter) -> Void) {
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: room) { memory in
            var head = ByteWriter(memory)
            if version.major == 1, version.minor == 1, response.status == .ok {
                head.append("HTTP/1.1 200 OK\r\n")
            } else {
                head.append("HTTP/")
                head.append(decimal: UInt(clamping: version.major))
                head.append(UInt8(ascii: "."))
                head.append(decimal: UInt(clamping: version.minor))
                head.append(UInt8(ascii: " "))
                head.append(decimal: UInt(clamping: response.status.code))
                head.append(UInt8(ascii: " "))
                head.append(utf8: response.status.reasonPhrase)
                head.append("\r\n")
            }
            for (name, value) in response.headers where !isFraming(name) {
                head.append(utf8: name)
                head.append(": ")
                head.append(utf8: value)
                head.append("\r\n")
            }
            framing(&head)
            head.append("\r\n")
            return min(head.count, memory.count)
        }
    }

    /// Whether `name` is one of the headers the server writes itself.
    static func isFraming(_ name: String) -> Bool {
        switch name.utf8.count {
        case 10: name.lowercased() == "connection"
        case 14: name.lowercased() == "content-length"
        case 17: name.lowercased() == "transfer-encoding"
        default: false
        }
    }

    /// The first header that cannot be written as HTTP/1.1: a name that is not a token, or a
    /// value holding CR, LF or NUL (which would let a handler split the reply).
    static func invalidHeader(in headers: HTTPHeaders) -> String? {
        for (name, value) in headers where !isToken(name) || !isFieldValue(value) {
            return name
        }
        return nil
    }

    private static func isToken(_ name: String) -> Bool {
        !name.isEmpty && allUTF8(of: name, satisfy: isTokenByte)
    }

    private static func isFieldValue(_ value: String) -> Bool {
        allUTF8(of: value) { $0 != 0x0D && $0 != 0x0A && $0 != 0x00 }
    }

    /// Whether every UTF-8 byte of `text` satisfies `predicate`, read in place where the bytes
    /// are contiguous (a String's own iteration steps through indices one at a time).
    private static func allUTF8(of text: String, satisfy predicate: (UInt8) -> Bool) -> Bool {
        text.utf8.withContiguousStorageIfAvailable { $0.allSatisfy(predicate) } ?? text.utf8.allSatisfy(predicate)
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            true
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"),
             UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"),
             UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            true
        default:
            false
        }
    }
}
