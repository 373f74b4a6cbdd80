import ArgumentParser

/// A duration on the command line: `60` (seconds), `500ms`, `45s`, `2m`, `1h`, or combined `1m30s`.
struct DurationArgument: ExpressibleByArgument, Sendable {
    let duration: Duration
    let text: String

    init(_ duration: Duration, text: String) {
        self.duration = duration
        self.text = text
    }

    init?(argument: String) {
        guard let duration = Self.parse(argument), duration > .zero else { return nil }
        self.init(duration, text: argument)
    }

    var defaultValueDescription: String { text }

    static func parse(_ text: String) -> Duration? {
        if let seconds = Double(text) { return .milliseconds(Int64(seconds * 1000)) }
        var total = Duration.zero
        var number = ""
        var rest = Substring(text)
        while let c = rest.first {
            if c.isNumber || c == "." {
                number.append(c)
                rest = rest.dropFirst()
                continue
            }
            guard let value = Double(number) else { return nil }
            number = ""
            let unit: Double
            if rest.hasPrefix("ms") { unit = 0.001; rest = rest.dropFirst(2) }
            else if c == "s" { unit = 1; rest = rest.dropFirst() }
            else if c == "m" { unit = 60; rest = rest.dropFirst() }
            else if c == "h" { unit = 3600; rest = rest.dropFirst() }
            else { return nil }
            total += .milliseconds(Int64(value * unit * 1000))
        }
        return number.isEmpty && total > .zero ? total : nil
    }
}
