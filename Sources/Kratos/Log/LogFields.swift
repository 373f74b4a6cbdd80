import Foundation
import Logging

/// A record's fields gathered from several sources (handler metadata, providers, the call's own),
/// later ones winning for the same key, without building a dictionary per source.
struct LogFields {
    private var entries: [(key: String, value: Logger.Metadata.Value)] = []

    init(_ metadata: Logger.Metadata) {
        entries.reserveCapacity(metadata.count + 12)
        add(metadata)
    }

    mutating func add(_ metadata: Logger.Metadata) {
        for (key, value) in metadata { entries.append((key, value)) }
    }

    mutating func add(_ other: LogFields) {
        entries.append(contentsOf: other.entries)
    }

    mutating func add(_ key: String, _ value: Logger.Metadata.Value) {
        entries.append((key, value))
    }

    /// Replaces with `replacement` every value `where` selects.
    mutating func mask(with replacement: Logger.Metadata.Value, where selects: (String, Logger.Metadata.Value) -> Bool) {
        for index in entries.indices where selects(entries[index].key, entries[index].value) {
            entries[index].value = replacement
        }
    }

    /// One entry per key, its last value, in key order. Sorted in place (moving entries, not
    /// copying them); entries of the same key keep their order, so the last one is the one kept.
    consuming func sorted() -> [(key: String, value: Logger.Metadata.Value)] {
        var sorted = entries
        entries = []
        sorted.sort { $0.key < $1.key }
        var kept = 0
        for index in sorted.indices {
            if kept > 0, sorted[kept - 1].key == sorted[index].key {
                sorted.swapAt(kept - 1, index)
            } else {
                sorted.swapAt(kept, index)
                kept += 1
            }
        }
        sorted.removeLast(sorted.count - kept)
        return sorted
    }

    var metadata: Logger.Metadata {
        Dictionary(entries, uniquingKeysWith: { $1 })
    }
}

/// A time as go-kratos logs it, in UTC with milliseconds: `2026-11-25T10:00:00.123Z`.
struct LogTimestamp {
    var seconds: Int
    var milliseconds: Int

    static func now() -> LogTimestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return LogTimestamp(seconds: spec.tv_sec, milliseconds: spec.tv_nsec / 1_000_000)
    }

    func append(to bytes: inout [UInt8]) {
        var seconds = time_t(seconds)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        // The fixed layout, then each number written over its zeros.
        let start = bytes.count
        bytes.append(contentsOf: Self.layout)
        func put(_ value: Int, at offset: Int, width: Int) {
            var value = value
            for index in (start + offset ..< start + offset + width).reversed() {
                bytes[index] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10)
                value /= 10
            }
        }
        put(Int(parts.tm_year) + 1900, at: 0, width: 4)
        put(Int(parts.tm_mon) + 1, at: 5, width: 2)
        put(Int(parts.tm_mday), at: 8, width: 2)
        put(Int(parts.tm_hour), at: 11, width: 2)
        put(Int(parts.tm_min), at: 14, width: 2)
        put(Int(parts.tm_sec), at: 17, width: 2)
        put(milliseconds, at: 20, width: 3)
    }

    private static let layout = Array("0000-00-00T00:00:00.000Z".utf8)

    var text: String {
        var bytes: [UInt8] = []
        append(to: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
