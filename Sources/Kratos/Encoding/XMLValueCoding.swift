import Foundation

/// Types written as element text, and read back from it as the decoded type asks.
protocol XMLScalar: LosslessStringConvertible {}
extension Bool: XMLScalar {}
extension String: XMLScalar {}
extension Double: XMLScalar {}
extension Float: XMLScalar {}
extension Int: XMLScalar {}
extension Int8: XMLScalar {}
extension Int16: XMLScalar {}
extension Int32: XMLScalar {}
extension Int64: XMLScalar {}
extension UInt: XMLScalar {}
extension UInt8: XMLScalar {}
extension UInt16: XMLScalar {}
extension UInt32: XMLScalar {}
extension UInt64: XMLScalar {}

/// A coding key for array indices and `super`.
private struct XMLCodingKey: CodingKey {
    let stringValue: String
    let intValue: Int?
    init(stringValue: String) { (self.stringValue, intValue) = (stringValue, nil) }
    init(intValue: Int) { (stringValue, self.intValue) = (String(intValue), intValue) }
}

/// Encodes `Encodable` values into ``XMLOutput``, members in the order they are encoded; as
/// `JSONEncoder` does by default, `Data` is base64, `URL` its absolute string, nils left out.
struct XMLValueEncoder: Encoder {
    /// A value being encoded; containers write into it after they are handed out.
    final class Node {
        enum Kind { case empty, text, object, array }
        var kind = Kind.empty
        var text = ""
        var members: [(key: String, node: Node)] = []
        var items: [Node] = []

        var output: XMLOutput? {
            switch kind {
            case .empty: nil
            case .text: .text(text)
            case .object: .members(members.compactMap { key, node in node.output.map { (key, $0) } })
            case .array: .list(items.compactMap(\.output))
            }
        }
    }

    let node: Node
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func output(of value: any Encodable) throws -> XMLOutput? {
        let encoder = XMLValueEncoder(node: Node(), codingPath: [])
        try encoder.encodeValue(value)
        return encoder.node.output
    }

    func encodeValue<T: Encodable>(_ value: T) throws {
        let text: String? = switch value {
        case let data as Data: data.base64EncodedString()
        case let url as URL: url.absoluteString
        case let decimal as Decimal: decimal.description
        case let scalar as any XMLScalar: scalar.description
        default: nil
        }
        guard let text else { return try value.encode(to: self) }
        node.kind = .text
        node.text = text
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if node.kind != .object { node.kind = .object }
        return KeyedEncodingContainer(KeyedContainer<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if node.kind != .array { node.kind = .array }
        return UnkeyedContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer { self }

    private struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
        let node: Node
        let codingPath: [any CodingKey]

        func encodeNil(forKey key: Key) {}
        func encode<T: Encodable>(_ value: T, forKey key: Key) throws { try child(key).encodeValue(value) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
            child(key).container(keyedBy: keyType)
        }
        func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer { child(key).unkeyedContainer() }
        func superEncoder() -> any Encoder { child(XMLCodingKey(stringValue: "super")) }
        func superEncoder(forKey key: Key) -> any Encoder { child(key) }

        private func child(_ key: any CodingKey) -> XMLValueEncoder {
            let child = Node()
            node.members.append((key.stringValue, child))
            return XMLValueEncoder(node: child, codingPath: codingPath + [key])
        }
    }

    private struct UnkeyedContainer: UnkeyedEncodingContainer {
        let node: Node
        let codingPath: [any CodingKey]
        var count: Int { node.items.count }

        func encodeNil() {}
        func encode<T: Encodable>(_ value: T) throws { try next().encodeValue(value) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
            next().container(keyedBy: keyType)
        }
        func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer { next().unkeyedContainer() }
        func superEncoder() -> any Encoder { next() }

        private func next() -> XMLValueEncoder {
            let child = Node()
            node.items.append(child)
            return XMLValueEncoder(node: child, codingPath: codingPath + [XMLCodingKey(intValue: node.items.count - 1)])
        }
    }
}

extension XMLValueEncoder: SingleValueEncodingContainer {
    func encodeNil() {}
    func encode<T: Encodable>(_ value: T) throws { try encodeValue(value) }
}

/// Decodes `Decodable` values from XML elements, reading element text as the type asks. A missing
/// member decodes as an empty array; of a repeated element read as a single value, the last wins
/// (as in Go's `encoding/xml`).
struct XMLValueDecoder: Decoder {
    /// The value's elements: one, several (an array), or none (a missing member).
    let elements: [XMLDocumentReader.Element]
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    static func decode<T: Decodable>(_ type: T.Type, from root: XMLDocumentReader.Element) throws -> T {
        try XMLValueDecoder(elements: [root], codingPath: []).decodeValue(type)
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        let value: Any?
        switch type {
        case is Data.Type: value = try Data(base64Encoded: text(as: "base64"))
        case is URL.Type: value = try URL(string: text(as: "a URL"))
        case is Decimal.Type: value = try Decimal(string: text(as: "a decimal"))
        case let scalar as any XMLScalar.Type: value = try parse(scalar)
        default: return try T(from: self)
        }
        guard let typed = value as? T else { throw mismatch(type, "\"\(try text(as: "\(type)"))\" is not \(type)") }
        return typed
    }

    private func parse<S: XMLScalar>(_ type: S.Type) throws -> S? {
        let text = try self.text(as: "\(type)")
        if S.self == String.self { return S(text) }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if S.self == Bool.self { return XMLCodec.bool(trimmed).flatMap { $0 as? S } }
        return S(trimmed)
    }

    /// The text of the value's element.
    private func text(as expected: String) throws -> String {
        guard let element = elements.last else {
            throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "no element for \(expected)"))
        }
        return element.text
    }

    private func mismatch(_ type: Any.Type, _ description: String) -> DecodingError {
        .typeMismatch(type, .init(codingPath: codingPath, debugDescription: description))
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard let element = elements.last else {
            throw DecodingError.valueNotFound(Key.self, .init(codingPath: codingPath, debugDescription: "no element"))
        }
        return KeyedDecodingContainer(KeyedContainer<Key>(element: element, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer { UnkeyedContainer(elements: elements, codingPath: codingPath) }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    private struct KeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let codingPath: [any CodingKey]
        let allKeys: [Key]
        private let members: [String: [XMLDocumentReader.Element]]

        init(element: XMLDocumentReader.Element, codingPath: [any CodingKey]) {
            let members = element.members
            self.codingPath = codingPath
            self.allKeys = members.compactMap { Key(stringValue: $0.key) }
            self.members = Dictionary(uniqueKeysWithValues: members.map { ($0.key, $0.elements) })
        }

        func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }
        func decodeNil(forKey key: Key) -> Bool { members[key.stringValue] == nil }
        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decodeValue(type) }
        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try child(key).container(keyedBy: type)
        }
        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
        func superDecoder() throws -> any Decoder { child(XMLCodingKey(stringValue: "super")) }
        func superDecoder(forKey key: Key) throws -> any Decoder { child(key) }

        private func child(_ key: any CodingKey) -> XMLValueDecoder {
            XMLValueDecoder(elements: members[key.stringValue] ?? [], codingPath: codingPath + [key])
        }
    }

    private struct UnkeyedContainer: UnkeyedDecodingContainer {
        let elements: [XMLDocumentReader.Element]
        let codingPath: [any CodingKey]
        var currentIndex = 0
        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        func decodeNil() -> Bool { false }
        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> any Decoder { try next() }

        private mutating func next() throws -> XMLValueDecoder {
            let key = XMLCodingKey(intValue: currentIndex)
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath + [key], debugDescription: "no more elements"))
            }
            currentIndex += 1
            return XMLValueDecoder(elements: [elements[currentIndex - 1]], codingPath: codingPath + [key])
        }
    }
}

extension XMLValueDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { elements.isEmpty }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
}
