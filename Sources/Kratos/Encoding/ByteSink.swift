/// Where text written by hand goes: an array of bytes, or memory written through a pointer
/// (``ByteWriter``), as the log line and the HTTP reply head are written.
public protocol ByteSink {
    /// One byte.
    mutating func append(_ byte: UInt8)
    /// `bytes`, in one piece.
    mutating func append(bytes: UnsafeRawBufferPointer)
}

extension ByteSink {
    /// The UTF-8 of `text`, copied in one piece where it is contiguous (always, for native strings).
    @inlinable
    public mutating func append(utf8 text: some StringProtocol) {
        if text.utf8.withContiguousStorageIfAvailable({ append(bytes: UnsafeRawBufferPointer($0)) }) == nil {
            for byte in text.utf8 { append(byte) }
        }
    }

    /// The UTF-8 of `text`.
    @inlinable
    public mutating func append(_ text: StaticString) {
        text.withUTF8Buffer { append(bytes: UnsafeRawBufferPointer($0)) }
    }

    /// `value` in decimal.
    @inlinable
    public mutating func append(decimal value: UInt) {
        if value >= 10 { append(decimal: value / 10) }
        append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
    }

    /// `value` (not negative) in decimal, padded with zeros to `width` digits.
    @inlinable
    public mutating func append(decimal value: Int, width: Int) {
        if width > 1 { append(decimal: value / 10, width: width - 1) }
        append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
    }
}

extension Array: ByteSink where Element == UInt8 {
    @inlinable
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        append(contentsOf: bytes)
    }
}

/// Something written by hand as bytes, such as a log line.
protocol ByteRendering {
    func render(into sink: inout some ByteSink)
}

extension ByteRendering {
    /// Calls `body` with the bytes `render(into:)` writes, written through a pointer into
    /// temporary storage (on the stack when it is small), so no append checks capacity or
    /// uniqueness and nothing is allocated for most lines. One that does not fit is rendered
    /// again into storage of the size the first pass counted.
    func withRenderedBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        withUnsafeTemporaryAllocation(byteCount: 1024, alignment: 1) { buffer in
            var writer = ByteWriter(buffer)
            render(into: &writer)
            if writer.count <= buffer.count { return body(UnsafeRawBufferPointer(rebasing: buffer[..<writer.count])) }
            return withUnsafeTemporaryAllocation(byteCount: writer.count, alignment: 1) { larger in
                var writer = ByteWriter(larger)
                render(into: &writer)
                return body(UnsafeRawBufferPointer(larger))
            }
        }
    }
}

/// Writes into memory allocated beforehand; past its end it only counts, so that the caller
/// can size memory that fits.
public struct ByteWriter: ByteSink {
    @usableFromInline let buffer: UnsafeMutableRawBufferPointer
    @usableFromInline var given = 0

    /// The bytes given so far, written or not: past the memory's end, the caller needs more.
    @inlinable public var count: Int { given }

    /// Writes into `buffer`.
    @inlinable
    public init(_ buffer: UnsafeMutableRawBufferPointer) {
        self.buffer = buffer
    }

    @inlinable
    public mutating func append(_ byte: UInt8) {
        if count < buffer.count { buffer[count] = byte }
        given += 1
    }

    @inlinable
    public mutating func append(bytes: UnsafeRawBufferPointer) {
        if let source = bytes.baseAddress, let base = buffer.baseAddress, bytes.count <= buffer.count - count {
            (base + count).copyMemory(from: source, byteCount: bytes.count)
        }
        given += bytes.count
    }
}
