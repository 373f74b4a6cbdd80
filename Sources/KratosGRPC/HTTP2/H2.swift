import NIOCore

/// HTTP/2 on the wire (RFC 9113), as much of it as a gRPC connection uses: frame types, flags,
/// error codes and settings. The engine's own connection layer reads and writes these directly;
/// header blocks are decoded by ``HPACKDecoder`` and encoded by ``HeaderBlock``.
enum H2 {
    /// What a client sends first, before its SETTINGS.
    static let preface: [UInt8] = Array("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n".utf8)
    static let frameHeaderSize = 9
    /// SETTINGS_MAX_FRAME_SIZE's initial value, and the size we accept.
    static let defaultMaxFrameSize = 16_384
    /// Every window's initial size.
    static let defaultWindow = 65_535
    static let maxWindow = Int(Int32.max)

    enum FrameType: UInt8 {
        case data = 0, headers, priority, rstStream, settings, pushPromise, ping, goAway, windowUpdate, continuation
    }

    enum Flag {
        static let endStream: UInt8 = 0x1
        static let ack: UInt8 = 0x1
        static let endHeaders: UInt8 = 0x4
        static let padded: UInt8 = 0x8
        static let priority: UInt8 = 0x20
    }

    enum ErrorCode: UInt32 {
        case noError = 0, protocolError, internalError, flowControlError, settingsTimeout, streamClosed, frameSizeError,
             refusedStream, cancel, compressionError, connectError, enhanceYourCalm, inadequateSecurity, http11Required
    }

    enum Setting: UInt16 {
        case headerTableSize = 1, enablePush, maxConcurrentStreams, initialWindowSize, maxFrameSize, maxHeaderListSize
    }

    /// A violation that ends the connection (GOAWAY with `code`) or, with a stream, only that
    /// stream (RST_STREAM).
    struct Failure: Error {
        var code: ErrorCode
        var stream: UInt32?
        var reason: String

        static func connection(_ code: ErrorCode, _ reason: String) -> Failure {
            Failure(code: code, stream: nil, reason: reason)
        }

        static func stream(_ id: UInt32, _ code: ErrorCode, _ reason: String) -> Failure {
            Failure(code: code, stream: id, reason: reason)
        }
    }
}

extension ByteBuffer {
    /// Writes a frame header (length, type, flags, stream).
    mutating func writeFrameHeader(length: Int, type: H2.FrameType, flags: UInt8 = 0, stream: UInt32) {
        writeInteger(UInt8(truncatingIfNeeded: length >> 16))
        writeInteger(UInt16(truncatingIfNeeded: length))
        writeInteger(type.rawValue)
        writeInteger(flags)
        writeInteger(stream & 0x7FFF_FFFF)
    }
}
