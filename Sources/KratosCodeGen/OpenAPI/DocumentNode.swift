/// A JSON value of the OpenAPI document, written as JSON or YAML with its keys sorted, so the
/// same protos always give the same bytes.
indirect enum DocumentNode: Equatable {
    case string(String)
    /// An integer, as its decimal text (64-bit values of either sign fit).
    case integer(String)
    case number(Double)
    case bool(Bool)
    case null
    case array([DocumentNode])
    case object([String: DocumentNode])

    static func integer(_ value: some BinaryInteger) -> DocumentNode { .integer(String(value)) }

    /// The members of an object (empty for anything else).
    var members: [String: DocumentNode] {
        if case .object(let members) = self { return members }
        return [:]
    }

    // MARK: JSON

    /// Pretty-printed JSON, two spaces per level, keys sorted, ending in a newline.
    func json() -> String {
        var out = ""
        writeJSON(into: &out, indent: "")
        return out + "\n"
    }

    private func writeJSON(into out: inout String, indent: String) {
        let inner = indent + "  "
        switch self {
        case .array(let items) where !items.isEmpty:
            out += "[\n"
            for (index, item) in items.enumerated() {
                out += inner
                item.writeJSON(into: &out, indent: inner)
                out += index < items.count - 1 ? ",\n" : "\n"
            }
            out += indent + "]"
        case .object(let members) where !members.isEmpty:
            out += "{\n"
            for (index, key) in members.keys.sorted().enumerated() {
                out += inner + Self.quoted(key) + ": "
                members[key]?.writeJSON(into: &out, indent: inner)
                out += index < members.count - 1 ? ",\n" : "\n"
            }
            out += indent + "}"
        default:
            out += scalarText(quoteStrings: true)
        }
    }

    /// A scalar (or empty collection) as JSON text; YAML reads the same text the same way.
    private func scalarText(quoteStrings: Bool) -> String {
        switch self {
        case .string(let text): quoteStrings || !Self.isPlain(text) ? Self.quoted(text) : text
        case .integer(let text): text
        case .number(let value): Self.numberText(value)
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        case .array: "[]"
        case .object: "{}"
        }
    }

    /// A finite double in the shortest text that reads back as it (integral values keep `.0`
    /// off: `2`, not `2.0`); non-finite values, which JSON cannot hold, as null.
    static func numberText(_ value: Double) -> String {
        guard value.isFinite else { return "null" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return "\(value)"
    }

    /// `text` as a JSON string literal (also a YAML double-quoted scalar).
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x7F || scalar.value == 0x85 || scalar.value == 0x2028 || scalar.value == 0x2029:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    // MARK: YAML

    /// Block-style YAML, two spaces per level, keys sorted, ending in a newline. Strings that
    /// YAML could read as something else are double-quoted.
    func yaml() -> String {
        var out = ""
        switch self {
        case .object(let members) where !members.isEmpty: writeMembers(members, into: &out, indent: "")
        case .array(let items) where !items.isEmpty: writeItems(items, into: &out, indent: "")
        default: out = scalarText(quoteStrings: false) + "\n"
        }
        return out
    }

    private var isBlock: Bool {
        switch self {
        case .object(let members): !members.isEmpty
        case .array(let items): !items.isEmpty
        default: false
        }
    }

    private func writeMembers(_ members: [String: DocumentNode], into out: inout String, indent: String, firstPrefix: String? = nil) {
        for (index, key) in members.keys.sorted().enumerated() {
            guard let value = members[key] else { continue }
            out += (index == 0 ? firstPrefix ?? indent : indent) + (Self.isPlain(key) ? key : Self.quoted(key)) + ":"
            value.writeValue(into: &out, indent: indent + "  ")
        }
    }

    private func writeItems(_ items: [DocumentNode], into out: inout String, indent: String) {
        for item in items {
            switch item {
            case .object(let members) where !members.isEmpty:
                item.writeMembers(members, into: &out, indent: indent + "  ", firstPrefix: indent + "- ")
            case .array(let nested) where !nested.isEmpty:
                out += indent + "-\n"
                item.writeItems(nested, into: &out, indent: indent + "  ")
            default:
                out += indent + "- " + item.scalarText(quoteStrings: false) + "\n"
            }
        }
    }

    /// The value after `key:` — on the same line for scalars, below for blocks.
    private func writeValue(into out: inout String, indent: String) {
        switch self {
        case .object(let members) where isBlock:
            out += "\n"
            writeMembers(members, into: &out, indent: indent)
        case .array(let items) where isBlock:
            out += "\n"
            writeItems(items, into: &out, indent: indent)
        default:
            out += " " + scalarText(quoteStrings: false) + "\n"
        }
    }

    /// Whether YAML reads `text` unquoted as this very string: a letter or `_` or `/` first, then
    /// letters, digits and `_ . / -`, inner single spaces; no word YAML 1.1 reads as a bool or null.
    static func isPlain(_ text: String) -> Bool {
        guard let first = text.unicodeScalars.first, first.isASCII,
              first.properties.isAlphabetic || first == "_" || first == "/",
              text.last != " ", !text.contains("  ") else { return false }
        let allowed = text.unicodeScalars.allSatisfy { scalar in
            scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "_./- ".unicodeScalars.contains(scalar))
        }
        return allowed && !reservedWords.contains(text.lowercased())
    }

    private static let reservedWords: Set<String> = ["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
}
