/// JSON string literals, for the JSON the runtime writes by hand: error bodies, logfmt/JSON log
/// lines, and the protojson of bound query parameters. (The protojson writer escapes at the byte
/// level as SwiftProtobuf does; see ProtoJSONWriter.)
package enum JSONString {
    /// `text` as a JSON string literal, quotes included.
    package static func quoted(_ text: String) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 2)
        appendQuoted(text, to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends `text` as a JSON string literal to `out`: `"` and `\` escaped, control characters
    /// as `\n`, `\r`, `\t` or `\u00XX`, everything else (UTF-8 included) as it is.
    package static func appendQuoted(_ text: some StringProtocol, to out: inout some ByteSink) {
        out.append(UInt8(ascii: "\""))
        appendEscaped(text, to: &out)
        out.append(UInt8(ascii: "\""))
    }

    /// Appends the inside of `text`'s JSON string literal, without its quotes.
    package static func appendEscaped(_ text: some StringProtocol, to out: inout some ByteSink) {
        if text.utf8.withContiguousStorageIfAvailable({ appendEscaped(UnsafeRawBufferPointer($0), to: &out) }) == nil {
            Array(text.utf8).withUnsafeBytes { appendEscaped($0, to: &out) }
        }
    }

    /// Appends the inside of the JSON string literal of `bytes`, UTF-8, without its quotes.
    package static func appendEscaped(_ bytes: UnsafeRawBufferPointer, to out: inout some ByteSink) {
        var start = 0
        for index in bytes.indices {
            let byte = bytes[index]
            guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
            out.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[start ..< index]))
            start = index + 1
            out.append(UInt8(ascii: "\\"))
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): out.append(byte)
            case UInt8(ascii: "\n"): out.append(UInt8(ascii: "n"))
            case UInt8(ascii: "\r"): out.append(UInt8(ascii: "r"))
            case UInt8(ascii: "\t"): out.append(UInt8(ascii: "t"))
            default:
                out.append("u00")
                out.append(hexDigit(byte >> 4))
                out.append(hexDigit(byte & 0xF))
            }
        }
        out.append(bytes: UnsafeRawBufferPointer(rebasing: bytes[start...]))
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? UInt8(ascii: "0") + value : UInt8(ascii: "a") + value - 10
    }
}
