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
    /// The bytes `render(into:)` writes, written through a pointer into storage allocated once,
    /// so no append checks capacity or uniqueness. The storage is sized for most lines; one
    /// that does not fit is rendered again into storage of the size the first pass counted.
    var renderedBytes: [UInt8] {
        // With the array's header, under 1 KiB: glibc serves that from its per-thread cache.
        rendered(capacity: 960)
    }

    private func rendered(capacity: Int) -> [UInt8] {
        var needed = 0
        let bytes = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, initialized in
            var writer = ByteWriter(UnsafeMutableRawBufferPointer(buffer))
            render(into: &writer)
            needed = writer.count
            initialized = min(writer.count, buffer.count)
        }
        return needed <= bytes.count ? bytes : rendered(capacity: needed)
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
