import Foundation
import Kratos

/// A `google.api.http` path template: `/v1/{name}`, `/v1/{name=shelves/*}`, `/files/{path=**}`,
/// `/v1/{book.id}:publish`, literal segments, `*` and `**`.
///
/// Variables capture the segments they match; dotted names (`book.id`) bind nested fields.
public struct PathTemplate: Sendable, Hashable, CustomStringConvertible {
    enum Part: Sendable, Hashable {
        case literal(String)
        /// `*`: one segment.
        case segment
        /// `**`: the rest, any number of segments.
        case rest
        case variable(String, [Part])
    }

    let parts: [Part]
    let verb: String?
    private let simple: Bool
    public let description: String

    /// The template's variable names, in order.
    public var variables: [String] {
        parts.compactMap { if case .variable(let name, _) = $0 { name } else { nil } }
    }

    /// Whether the template has no variables or wildcards: matched by a dictionary lookup.
    var literalPath: String? {
        for part in parts {
            if case .literal = part { continue }
            return nil
        }
        return description
    }

    /// Parses `template`.
    /// - Throws: `PathTemplate.Error` describing the first problem.
    public init(_ template: String) throws {
        description = template
        guard template.hasPrefix("/") else { throw Error(template: template, problem: "must start with /") }
        var body = Substring(template.dropFirst())
        var verb: String?
        if let colon = Self.verbColon(in: body) {
            verb = String(body[body.index(after: colon)...])
            body = body[..<colon]
        }
        self.verb = verb
        var parts: [Part] = []
        var index = body.startIndex
        while index < body.endIndex {
            if body[index] == "{" {
                guard let close = body[index...].firstIndex(of: "}") else {
                    throw Error(template: template, problem: "unclosed {")
                }
                let inside = body[body.index(after: index)..<close]
                let name: Substring
                var pattern: [Part] = [.segment]
                if let eq = inside.firstIndex(of: "=") {
                    name = inside[..<eq]
                    pattern = try Self.segments(inside[inside.index(after: eq)...], template: template, allowVariables: false)
                } else {
                    name = inside
                }
                guard !name.isEmpty else { throw Error(template: template, problem: "empty variable name") }
                parts.append(.variable(String(name), pattern))
                index = body.index(after: close)
                if index < body.endIndex {
                    guard body[index] == "/" else { throw Error(template: template, problem: "expected / after }") }
                    index = body.index(after: index)
                }
            } else {
                let end = body[index...].firstIndex(of: "/") ?? body.endIndex
                parts.append(contentsOf: try Self.segments(body[index..<end], template: template, allowVariables: false))
                index = end < body.endIndex ? body.index(after: end) : end
            }
        }
        self.parts = parts
        simple = Self.isSimple(parts)
    }

    /// The colon that starts a custom verb: the last `:` outside braces in the last segment.
    private static func verbColon(in body: Substring) -> Substring.Index? {
        var depth = 0
        var found: Substring.Index?
        for index in body.indices {
            switch body[index] {
            case "{": depth += 1
            case "}": depth -= 1
            case "/": found = nil
            case ":" where depth == 0: found = index
            default: break
            }
        }
        return found
    }

    private static func segments(_ text: Substring, template: String, allowVariables: Bool) throws -> [Part] {
        try text.split(separator: "/", omittingEmptySubsequences: false).map { segment -> Part in
            switch segment {
            case "*": return .segment
            case "**": return .rest
            case "": throw Error(template: template, problem: "empty segment")
            default:
                if segment.contains("{") || segment.contains("}") {
                    throw Error(template: template, problem: "unexpected brace in \(segment)")
                }
                return .literal(String(segment))
            }
        }
    }

    /// Whether every part takes exactly one segment (no `**`, no multi-segment variable):
    /// such templates match in one pass over the path's bytes.
    private static func isSimple(_ parts: [Part]) -> Bool {
        parts.allSatisfy { part in
            switch part {
            case .literal, .segment: true
            case .rest: false
            case .variable(_, let pattern): pattern == [.segment]
            }
        }
    }

    /// Matches a request path, returning the captured variables (percent-decoded), or nil.
    public func match(_ path: Substring) -> [(name: String, value: String)]? {
        if verb == nil, simple {
            return matchSimple(path)
        }
        return matchGeneral(path)
    }

    /// One pass over the bytes: each part consumes one `/`-separated segment.
    private func matchSimple(_ path: Substring) -> [(name: String, value: String)]? {
        var path = path
        return path.withUTF8 { bytes in
            var index = 0
            if index < bytes.count, bytes[index] == UInt8(ascii: "/") { index += 1 }
            var captures: [(name: String, value: String)] = []
            for (position, part) in parts.enumerated() {
                guard index < bytes.count else { return nil }
                var end = index
                while end < bytes.count, bytes[end] != UInt8(ascii: "/") { end += 1 }
                let segment = UnsafeBufferPointer(rebasing: bytes[index..<end])
                switch part {
                case .literal(let literal):
                    guard Self.equal(segment, literal) else { return nil }
                case .segment:
                    guard !segment.isEmpty else { return nil }
                case .variable(let name, _):
                    guard !segment.isEmpty else { return nil }
                    captures.append((name, Self.decode(segment)))
                case .rest:
                    return nil
                }
                if end == bytes.count {
                    return position == parts.count - 1 ? captures : nil
                }
                index = end + 1
            }
            return parts.isEmpty && index == bytes.count ? captures : nil
        }
    }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: String) -> Bool {
        // Lengths first, then the bytes in one comparison (elementsEqual goes byte by byte).
        literal.utf8.withContiguousStorageIfAvailable { literal in
            guard literal.count == bytes.count, let left = literal.baseAddress, let right = bytes.baseAddress else {
                return literal.count == bytes.count
            }
            return memcmp(left, right, bytes.count) == 0
        } ?? literal.utf8.elementsEqual(bytes)
    }

    /// A path segment percent-decoded; most have no escapes and are copied as they are.
    private static func decode(_ segment: Substring) -> String {
        segment.utf8.contains(UInt8(ascii: "%")) ? QueryParameters.unescape(segment, plusIsSpace: false) : String(segment)
    }

    private static func decode(_ segment: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: segment, as: UTF8.self)
        return segment.contains(UInt8(ascii: "%")) ? QueryParameters.unescape(text[...], plusIsSpace: false) : text
    }

    private func matchGeneral(_ path: Substring) -> [(name: String, value: String)]? {
        var body = path.hasPrefix("/") ? path.dropFirst() : path
        if let verb {
            guard body.hasSuffix(":" + verb) else { return nil }
            body = body.dropLast(verb.count + 1)
        }
        let segments: [Substring] = body.isEmpty ? [] : body.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).map { Substring($0) }
        var captures: [(name: String, value: String)] = []
        guard Self.match(parts[...], segments[...], &captures) else { return nil }
        return captures
    }

    private static func match(_ parts: ArraySlice<Part>, _ segments: ArraySlice<Substring>,
                              _ captures: inout [(name: String, value: String)]) -> Bool {
        guard let part = parts.first else { return segments.isEmpty }
        switch part {
        case .literal(let literal):
            guard let segment = segments.first, segment.utf8.elementsEqual(literal.utf8) else { return false }
            return match(parts.dropFirst(), segments.dropFirst(), &captures)
        case .segment:
            guard let segment = segments.first, !segment.isEmpty else { return false }
            return match(parts.dropFirst(), segments.dropFirst(), &captures)
        case .rest:
            for count in stride(from: segments.count, through: 0, by: -1) where match(parts.dropFirst(), segments.dropFirst(count), &captures) {
                return true
            }
            return false
        case .variable(let name, let pattern):
            // Try each number of segments the pattern can take, longest first.
            let counts: [Int] = pattern.contains(.rest) ? Array(stride(from: segments.count, through: pattern.count - 1, by: -1)) : [pattern.count]
            for count in counts where count <= segments.count && count >= 0 {
                let taken = segments.prefix(count)
                var inner: [(name: String, value: String)] = []
                guard match(pattern[...], taken, &inner) else { continue }
                let mark = captures.count
                let value = count == 1 ? Self.decode(taken.first!) : taken.map(Self.decode).joined(separator: "/")
                captures.append((name, value))
                if match(parts.dropFirst(), segments.dropFirst(count), &captures) { return true }
                captures.removeSubrange(mark...)
            }
            return false
        }
    }


    /// A template that cannot be parsed.
    public struct Error: Swift.Error, CustomStringConvertible {
        public let template: String
        public let problem: String
        public var description: String { "invalid path template \(template): \(problem)" }
    }
}
