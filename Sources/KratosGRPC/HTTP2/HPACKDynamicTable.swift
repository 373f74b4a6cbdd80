/// HPACK's dynamic table on the decoding side (RFC 7541 §2.3.2, §4): the entries the peer's
/// encoder added, newest first, evicted oldest first to stay within the size the peer chose,
/// itself never above the limit we advertised (SETTINGS_HEADER_TABLE_SIZE).
///
/// A ring of slots sized once for the limit (an entry takes at least 32 octets), so adding an
/// entry never allocates beyond the entry's own strings.
struct HPACKDynamicTable {
    struct Entry {
        var name: String
        var value: String
        var nameOctets: Int
        /// Octets the entry counts for: name and value as they were on the wire, plus 32 (§4.1).
        var size: Int
    }

    /// The most the table may hold: the SETTINGS_HEADER_TABLE_SIZE we advertised.
    let limit: Int
    /// The most it holds now, as the peer's last dynamic table size update set it.
    private(set) var maxSize: Int
    /// The octets its entries count for.
    private(set) var size = 0
    private(set) var count = 0
    private var slots: [Entry]
    /// The newest entry's slot.
    private var newest = 0

    init(limit: Int) {
        self.limit = limit
        maxSize = limit
        slots = Array(repeating: Entry(name: "", value: "", nameOctets: 0, size: 0), count: limit / 32)
    }

    /// The entry `index` places from the newest (0 is the newest); nil past the oldest.
    func entry(_ index: Int) -> Entry? {
        guard index >= 0, index < count else { return nil }
        let slot = newest - index
        return slots[slot < 0 ? slot + slots.count : slot]
    }

    /// Adds an entry, evicting the oldest ones to make room; one larger than the table empties it
    /// and is not added (§4.4).
    mutating func add(name: String, value: String, nameOctets: Int, size entrySize: Int) {
        guard entrySize <= maxSize else {
            while count > 0 { evictOldest() }
            return
        }
        while size + entrySize > maxSize { evictOldest() }
        // Each entry counts at least 32 octets, so `count < slots.count` here.
        newest = newest + 1 == slots.count ? 0 : newest + 1
        slots[newest] = Entry(name: name, value: value, nameOctets: nameOctets, size: entrySize)
        count += 1
        size += entrySize
    }

    /// A dynamic table size update (§6.3): false, and nothing changed, above ``limit``.
    mutating func resize(to newSize: Int) -> Bool {
        guard newSize <= limit else { return false }
        maxSize = newSize
        while size > maxSize { evictOldest() }
        return true
    }

    private mutating func evictOldest() {
        let slot = newest - (count - 1)
        let oldest = slot < 0 ? slot + slots.count : slot
        size -= slots[oldest].size
        slots[oldest] = Entry(name: "", value: "", nameOctets: 0, size: 0)
        count -= 1
    }
}
