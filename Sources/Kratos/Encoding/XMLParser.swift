import Foundation

/// A small XML reader for request bodies: elements, text, CDATA, the five predefined entities and
/// character references.
///
/// Attributes, comments, processing instructions and the `<?xml …?>` declaration are skipped, and
/// namespace prefixes dropped from names. A DOCTYPE is refused, which keeps external entities and
/// entity expansion out; nesting is bounded by ``maxDepth``. (Written here rather than over
/// Foundation's `XMLParser`, which brings libxml2.) Errors are 400 `CODEC`, with a line and column.
struct XMLDocumentReader {
    /// An element: its local name, its child elements in document order, and its text (character
    /// data and CDATA, concatenated; line ends read as `\n`).
    struct Element: Sendable {
        var name: String
        var children: [Element] = []
        var text = ""
    }

    /// The deepest nesting of elements accepted, the root being 1.
    static let maxDepth = 100

    private let bytes: [UInt8]
    private var position = 0

    private init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// The root element of the document in `bytes`.
    static func parse(_ bytes: [UInt8]) throws -> Element {
        var reader = XMLDocumentReader(bytes: bytes)
        return try reader.document()
    }

    private mutating func document() throws -> Element {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw failure("the body is not UTF-8 text", at: 0) }
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { position = 3 }
        var root: Element?
        while true {
            skipSpace()
            guard position < bytes.count else { break }
            guard bytes[position] == UInt8(ascii: "<") else {
                throw failure(root == nil ? "expected an element" : "text after the root element")
            }
            if try skipMarkup() { continue }
            guard root == nil else { throw failure("a second root element") }
            root = try element(depth: 1)
        }
        guard let root else { throw failure("no root element") }
        return root
    }

    /// `<tag …>content</tag>` or `<tag …/>`, at `<`.
    private mutating func element(depth: Int) throws -> Element {
        let start = position
        guard depth <= Self.maxDepth else { throw failure("elements nested deeper than \(Self.maxDepth)") }
        position += 1
        let name = try self.name()
        var element = Element(name: name.split(separator: ":").last.map(String.init) ?? name)
        if try attributesEndEmptyElement() { return element }
        var text: [UInt8] = []
        while true {
            guard position < bytes.count else { throw failure("<\(name)> is not closed", at: start) }
            switch bytes[position] {
            case UInt8(ascii: "<"):
                if matches("</") {
                    let closing = position
                    position += 2
                    let closingName = try self.name()
                    guard closingName == name else { throw failure("</\(closingName)> does not close <\(name)>", at: closing) }
                    skipSpace()
                    try expect(">")
                    element.text = String(decoding: text, as: UTF8.self)
                    return element
                } else if matches("<![CDATA[") {
                    let open = position
                    position += 9
                    guard let end = find("]]>") else { throw failure("CDATA section is not closed", at: open) }
                    while position < end { try character(into: &text) }
                    position = end + 3
                } else if try !skipMarkup() {
                    element.children.append(try self.element(depth: depth + 1))
                }
            case UInt8(ascii: "&"): try reference(into: &text)
            default: try character(into: &text)
            }
        }
    }

    /// Skips the attributes of a start tag; true for `/>`, false for `>`.
    private mutating func attributesEndEmptyElement() throws -> Bool {
        while true {
            let spaced = skipSpace()
            if matches("/>") { position += 2; return true }
            if matches(">") { position += 1; return false }
            guard position < bytes.count else { throw failure("unexpected end of the body") }
            guard spaced else { throw failure("expected whitespace, > or />") }
            _ = try name()
            skipSpace()
            try expect("=")
            skipSpace()
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\"") || bytes[position] == UInt8(ascii: "'") else {
                throw failure("expected a quoted attribute value")
            }
            let quote = bytes[position], open = position
            position += 1
            while position < bytes.count, bytes[position] != quote {
                guard bytes[position] != UInt8(ascii: "<") else { throw failure("< in an attribute value") }
                position += 1
            }
            guard position < bytes.count else { throw failure("attribute value is not closed", at: open) }
            position += 1
        }
    }

    /// Skips a comment or a processing instruction (the XML declaration among them); refuses a
    /// DOCTYPE and other `<!` markup. False, without moving, when `<` starts an element.
    private mutating func skipMarkup() throws -> Bool {
        let start = position
        if matches("<?") {
            guard let end = find("?>", from: position + 2) else { throw failure("processing instruction is not closed") }
            position = end + 2
        } else if matches("<!--") {
            guard let end = find("-->", from: position + 4) else { throw failure("comment is not closed") }
            position = end + 3
        } else if matches("<!DOCTYPE") || matches("<!doctype") {
            throw failure("DOCTYPE is not accepted")
        } else if matches("<!") {
            throw failure("unexpected markup <!")
        }
        return position != start
    }

    /// A name, at its first byte. Non-ASCII bytes are taken as name characters.
    private mutating func name() throws -> String {
        let start = position
        while position < bytes.count, Self.isNameByte(bytes[position]) { position += 1 }
        guard position > start, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[start]),
              bytes[start] != UInt8(ascii: "-"), bytes[start] != UInt8(ascii: ".") else {
            throw failure("expected a name", at: start)
        }
        return String(decoding: bytes[start..<position], as: UTF8.self)
    }

    private static func isNameByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: ":"), 0x80...: true
        default: false
        }
    }

    /// `&name;` or `&#N;` / `&#xH;`, at `&`, appended to `text` as UTF-8.
    private mutating func reference(into text: inout [UInt8]) throws {
        let start = position
        guard let end = bytes[position...].prefix(32).firstIndex(of: UInt8(ascii: ";")) else {
            throw failure("& not starting an entity or character reference")
        }
        let body = String(decoding: bytes[(position + 1)..<end], as: UTF8.self)
        position = end + 1
        let replacement: Unicode.Scalar?
        switch body {
        case "amp": replacement = "&"
        case "lt": replacement = "<"
        case "gt": replacement = ">"
        case "quot": replacement = "\""
        case "apos": replacement = "'"
        default:
            let number = body.hasPrefix("#x") ? UInt32(body.dropFirst(2), radix: 16) : body.hasPrefix("#") ? UInt32(body.dropFirst()) : nil
            guard body.hasPrefix("#") else { throw failure("unknown entity &\(body);", at: start) }
            replacement = number.flatMap(Unicode.Scalar.init).flatMap { Self.isCharacter($0) ? $0 : nil }
        }
        guard let replacement else { throw failure("invalid character reference &\(body);", at: start) }
        text.append(contentsOf: String(replacement).utf8)
    }

    /// One byte of character data: line ends (`\r\n`, `\r`) read as `\n`; control characters refused.
    private mutating func character(into text: inout [UInt8]) throws {
        let byte = bytes[position]
        position += 1
        switch byte {
        case UInt8(ascii: "\r"):
            if position < bytes.count, bytes[position] == UInt8(ascii: "\n") { position += 1 }
            text.append(UInt8(ascii: "\n"))
        case UInt8(ascii: "\t"), UInt8(ascii: "\n"), 0x20...: text.append(byte)
        default: throw failure("control character \\u{\(String(byte, radix: 16))}", at: position - 1)
        }
    }

    /// Whether XML 1.0 allows `scalar` in a document.
    static func isCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x9, 0xA, 0xD, 0x20...0xD7FF, 0xE000...0xFFFD, 0x10000...0x10FFFF: true
        default: false
        }
    }

    @discardableResult
    private mutating func skipSpace() -> Bool {
        let start = position
        while position < bytes.count, bytes[position] == 0x20 || bytes[position] == 0x09 || bytes[position] == 0x0A || bytes[position] == 0x0D {
            position += 1
        }
        return position > start
    }

    private func matches(_ literal: StaticString) -> Bool {
        let count = literal.utf8CodeUnitCount
        guard position + count <= bytes.count else { return false }
        return literal.withUTF8Buffer { bytes[position..<(position + count)].elementsEqual($0) }
    }

    private mutating func expect(_ literal: StaticString) throws {
        guard matches(literal) else { throw failure("expected \(literal)") }
        position += literal.utf8CodeUnitCount
    }

    /// The offset of the next `literal` from `start` (the current position by default).
    private func find(_ literal: StaticString, from start: Int? = nil) -> Int? {
        literal.withUTF8Buffer { needle in
            var index = start ?? position
            while index + needle.count <= bytes.count {
                if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) { return index }
                index += 1
            }
            return nil
        }
    }

    /// 400 `CODEC` "invalid XML body: … at line L, column C" for byte offset `offset`.
    private func failure(_ message: String, at offset: Int? = nil) -> KratosError {
        let offset = min(offset ?? position, bytes.count)
        let before = bytes[..<offset]
        let line = before.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let lineStart = before.lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 } ?? 0
        let column = String(decoding: bytes[lineStart..<offset], as: UTF8.self).count + 1
        return .codec("invalid XML body: \(message) at line \(line), column \(column)")
    }
}
