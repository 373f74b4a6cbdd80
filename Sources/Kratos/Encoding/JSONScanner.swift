/// A cursor over compact JSON as protojson writers produce it: enough to find members and step
/// over values without building a tree.
struct JSONScanner {
    /// The JSON was not well formed where the scanner looked.
    struct Malformed: Error {}

    let input: [UInt8]
    var index = 0

    init(_ input: [UInt8]) {
        self.input = input
    }

    func peek() throws -> UInt8 {
        guard index < input.count else { throw Malformed() }
        return input[index]
    }

    mutating func expect(_ byte: UInt8) throws {
        guard index < input.count, input[index] == byte else { throw Malformed() }
        index += 1
    }

    /// A string with its quotes, as written.
    mutating func rawString() throws -> ArraySlice<UInt8> {
        let start = index
        try expect(UInt8(ascii: "\""))
        while index < input.count, input[index] != UInt8(ascii: "\"") {
            index += input[index] == UInt8(ascii: "\\") ? 2 : 1
        }
        try expect(UInt8(ascii: "\""))
        return input[start..<index]
    }

    /// A string's text (for keys, which are plain names; escapes are kept as written).
    mutating func string() throws -> String {
        String(decoding: try rawString().dropFirst().dropLast(), as: UTF8.self)
    }

    /// Steps over one value; returns its bytes.
    @discardableResult
    mutating func skipValue() throws -> ArraySlice<UInt8> {
        let start = index
        switch try peek() {
        case UInt8(ascii: "\""):
            _ = try rawString()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            repeat {
                switch try peek() {
                case UInt8(ascii: "\""):
                    _ = try rawString()
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                default: break
                }
                index += 1
            } while depth > 0
        default:
            while index < input.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(input[index]) {
                index += 1
            }
            guard index > start else { throw Malformed() }
        }
        return input[start..<index]
    }

    /// The keys of the object at the cursor, which does not move.
    mutating func memberKeys() throws -> [String] {
        let start = index
        defer { index = start }
        var keys: [String] = []
        try expect(UInt8(ascii: "{"))
        while try peek() != UInt8(ascii: "}") {
            if !keys.isEmpty { try expect(UInt8(ascii: ",")) }
            keys.append(try string())
            try expect(UInt8(ascii: ":"))
            try skipValue()
        }
        return keys
    }

    /// The value of member `key` of the object at the cursor, or nil when it has none.
    mutating func member(_ key: String) throws -> ArraySlice<UInt8>? {
        try expect(UInt8(ascii: "{"))
        var first = true
        while try peek() != UInt8(ascii: "}") {
            if !first { try expect(UInt8(ascii: ",")) }
            first = false
            let name = try string()
            try expect(UInt8(ascii: ":"))
            let value = try skipValue()
            if name == key { return value }
        }
        return nil
    }
}
