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
struct LogTimestamp: ByteRendering {
    var year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, millisecond = 0

    static func now() -> LogTimestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        var parts = tm()
        gmtime_r(&spec.tv_sec, &parts)
        return LogTimestamp(year: Int(parts.tm_year) + 1900, month: Int(parts.tm_mon) + 1, day: Int(parts.tm_mday),
                            hour: Int(parts.tm_hour), minute: Int(parts.tm_min), second: Int(parts.tm_sec),
                            millisecond: spec.tv_nsec / 1_000_000)
    }

    func render(into sink: inout some ByteSink) {
        Self.digits(year / 100, &sink)
        Self.digits(year % 100, &sink)
        sink.append(UInt8(ascii: "-"))
        Self.digits(month, &sink)
        sink.append(UInt8(ascii: "-"))
        Self.digits(day, &sink)
        sink.append(UInt8(ascii: "T"))
        Self.digits(hour, &sink)
        sink.append(UInt8(ascii: ":"))
        Self.digits(minute, &sink)
        sink.append(UInt8(ascii: ":"))
        Self.digits(second, &sink)
        sink.append(UInt8(ascii: "."))
        sink.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: millisecond / 100))
        Self.digits(millisecond % 100, &sink)
        sink.append(UInt8(ascii: "Z"))
    }

    /// `value` (0–99) as two digits.
    private static func digits(_ value: Int, _ sink: inout some ByteSink) {
        sink.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value / 10))
        sink.append(UInt8(ascii: "0") + UInt8(truncatingIfNeeded: value % 10))
    }

    var text: String {
        String(decoding: renderedBytes, as: UTF8.self)
    }
}
