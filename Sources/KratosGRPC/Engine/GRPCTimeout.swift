import Kratos

/// `grpc-timeout`: at most eight digits and a unit (H hours, M minutes, S seconds, m milli-, u
/// micro-, n nanoseconds).
package enum GRPCTimeout {
    /// The duration a header value gives; nil when it is malformed.
    package static func parse(_ value: String) -> Duration? {
        guard let unit = value.last, value.count >= 2, value.count <= 9,
              let amount = Int64(value.dropLast()), amount >= 0,
              value.dropLast().allSatisfy(\.isASCII) else { return nil }
        switch unit {
        case "H": return .seconds(amount * 3600)
        case "M": return .seconds(amount * 60)
        case "S": return .seconds(amount)
        case "m": return .milliseconds(amount)
        case "u": return .microseconds(amount)
        case "n": return .nanoseconds(amount)
        default: return nil
        }
    }

    /// The header value for `duration`, in the finest unit that fits eight digits.
    package static func encode(_ duration: Duration) -> String {
        let nanoseconds = max(duration.saturatingNanoseconds, 0)
        let units: [(String, Int64)] = [("n", 1), ("u", 1_000), ("m", 1_000_000), ("S", 1_000_000_000),
                                        ("M", 60_000_000_000), ("H", 3_600_000_000_000)]
        for (unit, scale) in units {
            // Round up so the deadline is never shorter than asked.
            let amount = (nanoseconds + scale - 1) / scale
            if amount < 100_000_000 { return "\(amount)\(unit)" }
        }
        return "99999999H"
    }
}
