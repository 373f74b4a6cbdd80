import NIOCore

/// HPACK decoding (RFC 7541) of the header blocks a peer sends, one per connection: indexed
/// fields, literals (with incremental indexing, without, never indexed), strings raw or
/// Huffman-coded, and dynamic table size updates at a block's start. Reads the block's bytes in
/// place; a block that is malformed, refers past a table, or makes a header list over
/// ``maxHeaderListSize`` throws, and the connection ends with COMPRESSION_ERROR (the table is
/// then out of step with the peer's).
struct HPACKDecoder {
    /// Why a block could not be decoded.
    enum Failure: Error, Equatable, CustomStringConvertible {
        /// The block ends inside a field.
        case truncated
        /// An integer over 2^28 (more than four continuation octets).
        case integerTooLarge
        /// An index of 0, or past the dynamic table's entries.
        case invalidIndex(Int)
        /// A Huffman-coded string holding EOS, or padded with more than 7 bits or not with ones.
        case invalidHuffman
        /// A dynamic table size update after a field.
        case misplacedTableSizeUpdate
        /// A dynamic table size update above SETTINGS_HEADER_TABLE_SIZE.
        case tableSizeOverLimit(Int, limit: Int)
        /// The header list counts more octets than SETTINGS_MAX_HEADER_LIST_SIZE.
        case headerListTooLarge(limit: Int)

        var description: String {
            switch self {
            case .truncated: "the block ends inside a field"
            case .integerTooLarge: "an integer over 2^28"
            case .invalidIndex(let index): "no table entry at index \(index)"
            case .invalidHuffman: "a Huffman-coded string with EOS or bad padding"
            case .misplacedTableSizeUpdate: "a dynamic table size update after a field"
            case .tableSizeOverLimit(let size, let limit): "a dynamic table size of \(size), over \(limit)"
            case .headerListTooLarge(let limit): "a header list over \(limit) octets"
            }
        }
    }

    /// SETTINGS_HEADER_TABLE_SIZE's default, the dynamic table size we allow (we never send the
    /// setting).
    static let defaultTableSize = 4096

    private(set) var table: HPACKDynamicTable
    /// The most a header list may count: each field's name and value octets plus 32 (RFC 9113
    /// §6.5.2, SETTINGS_MAX_HEADER_LIST_SIZE), checked field by field while decoding.
    let maxHeaderListSize: Int

    init(tableSizeLimit: Int = defaultTableSize, maxHeaderListSize: Int) {
        table = HPACKDynamicTable(limit: tableSizeLimit)
        self.maxHeaderListSize = maxHeaderListSize
    }

    /// Decodes one whole header block (HEADERS and its CONTINUATION frames joined).
    mutating func decode(_ block: ByteBuffer) throws(Failure) -> HeaderList {
        try block.withUnsafeReadableBytes { bytes in
            Result { () throws(Failure) in try decode(bytes) }
        }.get()
    }

    mutating func decode(_ bytes: UnsafeRawBufferPointer) throws(Failure) -> HeaderList {
        var reader = Reader(bytes: bytes)
        // Every field takes at least one octet; gRPC requests carry about ten.
        var headers = HeaderList(reservingCapacity: min(bytes.count, 16))
        var listSize = 0
        while let first = reader.next() {
            let field: Field
            if first & 0x80 != 0 {
                // Indexed (§6.1).
                field = try indexed(reader.integer(first, prefix: 7))
            } else if first & 0x40 != 0 {
                // Literal with incremental indexing (§6.2.1).
                field = try literal(first, prefix: 6, &reader)
                table.add(name: field.name, value: field.value, nameOctets: field.nameOctets, size: field.size)
            } else if first & 0x20 != 0 {
                // Dynamic table size update (§6.3): only before the block's first field.
                guard headers.count == 0 else { throw .misplacedTableSizeUpdate }
                let size = try reader.integer(first, prefix: 5)
                guard table.resize(to: size) else { throw .tableSizeOverLimit(size, limit: table.limit) }
                continue
            } else {
                // Literal without indexing or never indexed (§6.2.2, §6.2.3): alike for us, who
                // never encode them again.
                field = try literal(first, prefix: 4, &reader)
            }
            listSize += field.size
            guard listSize <= maxHeaderListSize else { throw .headerListTooLarge(limit: maxHeaderListSize) }
            headers.append(field.name, field.value)
        }
        return headers
    }

    /// A decoded field and the octets it counts for.
    private struct Field {
        var name: String
        var value: String
        var nameOctets: Int
        /// Name and value octets plus 32 (§4.1).
        var size: Int
    }

    /// The field at `index`: the static table's (1–61), then the dynamic table's, newest first.
    private func indexed(_ index: Int) throws(Failure) -> Field {
        if index >= 1, index <= HPACKStaticTable.count {
            let (name, value) = HPACKStaticTable.entries[index - 1]
            let nameOctets = name.utf8.count
            return Field(name: name, value: value, nameOctets: nameOctets, size: nameOctets + value.utf8.count + 32)
        }
        guard let entry = table.entry(index - HPACKStaticTable.count - 1) else { throw .invalidIndex(index) }
        return Field(name: entry.name, value: entry.value, nameOctets: entry.nameOctets, size: entry.size)
    }

    /// A literal field: its name by index (a nonzero `prefix`-bit integer) or as a string, then
    /// its value as a string.
    private func literal(_ first: UInt8, prefix: Int, _ reader: inout Reader) throws(Failure) -> Field {
        let index = try reader.integer(first, prefix: prefix)
        let name: String
        let nameOctets: Int
        if index == 0 {
            (name, nameOctets) = try reader.string()
        } else {
            let named = try indexed(index)
            (name, nameOctets) = (named.name, named.nameOctets)
        }
        let (value, valueOctets) = try reader.string()
        return Field(name: name, value: value, nameOctets: nameOctets, size: nameOctets + valueOctets + 32)
    }

    /// Reads integers and strings from a block, never past its end.
    private struct Reader {
        let bytes: UnsafeRawBufferPointer
        var index = 0

        mutating func next() -> UInt8? {
            guard index < bytes.count else { return nil }
            defer { index += 1 }
            return bytes[index]
        }

        /// An integer with an N-bit prefix (§5.1) whose first octet is `first`; at most four
        /// continuation octets, so it stays under 2^28 plus the prefix.
        mutating func integer(_ first: UInt8, prefix: Int) throws(Failure) -> Int {
            let mask = (1 << prefix) - 1
            var value = Int(first) & mask
            guard value == mask else { return value }
            var shift = 0
            while true {
                guard let byte = next() else { throw .truncated }
                value += Int(byte & 0x7F) << shift
                if byte & 0x80 == 0 { return value }
                shift += 7
                guard shift < 28 else { throw .integerTooLarge }
            }
        }

        /// A string literal (§5.2), and its length in octets once decoded.
        mutating func string() throws(Failure) -> (String, octets: Int) {
            guard let first = next() else { throw .truncated }
            let length = try integer(first, prefix: 7)
            guard length <= bytes.count - index else { throw .truncated }
            let octets = UnsafeRawBufferPointer(rebasing: bytes[index..<index + length])
            index += length
            guard first & 0x80 != 0 else { return (String(decoding: octets, as: UTF8.self), length) }
            guard let decoded = HPACKHuffman.decode(octets) else { throw .invalidHuffman }
            return decoded
        }
    }
}
