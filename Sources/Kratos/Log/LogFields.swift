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
        return LogTimestamp(secondsSince1970: Int(spec.tv_sec), millisecond: spec.tv_nsec / 1_000_000)
    }

    /// The UTC time `seconds` after 1970-01-01T00:00:00Z. The date is worked out from the day
    /// count in the proleptic Gregorian calendar, in eras of 400 years (146,097 days) that
    /// repeat exactly, with March as the year's first month so that February's leap day falls
    /// at its end: a few integer operations, where `gmtime_r` takes a few hundred instructions.
    init(secondsSince1970 seconds: Int, millisecond: Int = 0) {
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = seconds - days * 86_400
        let sinceMarch0000 = days + 719_468  // 0000-03-01 to 1970-01-01
        let era = (sinceMarch0000 >= 0 ? sinceMarch0000 : sinceMarch0000 - 146_096) / 146_097
        let dayOfEra = sinceMarch0000 - era * 146_097  // 0...146_096
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365  // 0...399
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)  // from March 1: 0...365
        let monthFromMarch = (5 * dayOfYear + 2) / 153  // 0...11
        day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        hour = secondOfDay / 3_600
        minute = secondOfDay % 3_600 / 60
        second = secondOfDay % 60
        self.millisecond = millisecond
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
        withRenderedBytes { String(decoding: $0, as: UTF8.self) }
    }
}
