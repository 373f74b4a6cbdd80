/// Decodes `Decodable` values from query or form parameters: `a.b` and `a[b]` nest, repeated
/// keys (or `a[0]`, `a[1]`) make arrays, and scalar values are parsed as the type asks.
///
/// ```swift
/// struct Page: Decodable { var size: Int; var tags: [String] }
/// let page = try FormDecoder().decode(Page.self, from: QueryParameters(parsing: "size=10&tags=a&tags=b"))
/// ```
public struct FormDecoder: Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from parameters: QueryParameters) throws -> T {
        let root = FormNode()
        for (key, value) in parameters {
            root.insert(QueryParameters.path(of: key)[...], value: value)
        }
        do {
            return try T(from: FormValueDecoder(node: root, codingPath: []))
        } catch let error as DecodingError {
            throw KratosError.codec("invalid parameters: \(JSONCodec.describe(error))", cause: error)
        }
    }
}

/// One key of the parameter tree: its values and its nested keys, in first-seen order.
final class FormNode {
    var values: [String] = []
    var children: [String: FormNode] = [:]
    var order: [String] = []

    func insert(_ path: ArraySlice<String>, value: String) {
        guard let key = path.first else {
            values.append(value)
            return
        }
        let child: FormNode
        if let existing = children[key] {
            child = existing
        } else {
            child = FormNode()
            children[key] = child
            order.append(key)
        }
        child.insert(path.dropFirst(), value: value)
    }

    /// Array elements: indexed children (`a[0]`, `a[1]`) in index order, else one leaf per value.
    var elements: [FormNode] {
        let indexed = order.compactMap { key in Int(key).map { ($0, children[key]!) } }
        if !indexed.isEmpty {
            return indexed.sorted { $0.0 < $1.0 }.map(\.1)
        }
        return values.map { value in
            let leaf = FormNode()
            leaf.values = [value]
            return leaf
        }
    }
}

private struct FormKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

private struct FormValueDecoder: Decoder {
    let node: FormNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        KeyedDecodingContainer(Keyed<Key>(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        Unkeyed(elements: node.elements, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        Single(node: node, codingPath: codingPath)
    }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let node: FormNode
        let codingPath: [any CodingKey]

        var allKeys: [Key] { node.order.compactMap { Key(stringValue: $0) } }

        func contains(_ key: Key) -> Bool { node.children[key.stringValue] != nil }

        private func child(_ key: Key) throws -> FormNode {
            guard let child = node.children[key.stringValue] else {
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "missing parameter \(key.stringValue)"))
            }
            return child
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            guard let child = node.children[key.stringValue] else { return true }
            return child.values.isEmpty && child.children.isEmpty
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
            try T(from: FormValueDecoder(node: try child(key), codingPath: codingPath + [key]))
        }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            KeyedDecodingContainer(Keyed<NestedKey>(node: try child(key), codingPath: codingPath + [key]))
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
            Unkeyed(elements: try child(key).elements, codingPath: codingPath + [key])
        }

        func superDecoder() throws -> any Decoder { FormValueDecoder(node: node, codingPath: codingPath) }

        func superDecoder(forKey key: Key) throws -> any Decoder {
            FormValueDecoder(node: try child(key), codingPath: codingPath + [key])
        }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let elements: [FormNode]
        let codingPath: [any CodingKey]
        var currentIndex = 0

        init(elements: [FormNode], codingPath: [any CodingKey]) {
            self.elements = elements
            self.codingPath = codingPath
        }

        var count: Int? { elements.count }
        var isAtEnd: Bool { currentIndex >= elements.count }

        private mutating func next() throws -> FormNode {
            guard !isAtEnd else {
                throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "no more values"))
            }
            defer { currentIndex += 1 }
            return elements[currentIndex]
        }

        mutating func decodeNil() throws -> Bool { false }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T {
            let key = FormKey(intValue: currentIndex)
            return try T(from: FormValueDecoder(node: try next(), codingPath: codingPath + [key]))
        }

        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            KeyedDecodingContainer(Keyed<NestedKey>(node: try next(), codingPath: codingPath))
        }

        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer {
            Unkeyed(elements: try next().elements, codingPath: codingPath)
        }

        mutating func superDecoder() throws -> any Decoder {
            FormValueDecoder(node: try next(), codingPath: codingPath)
        }
    }

    struct Single: SingleValueDecodingContainer {
        let node: FormNode
        let codingPath: [any CodingKey]

        func decodeNil() -> Bool { node.values.isEmpty && node.children.isEmpty }

        private func text() throws -> String {
            guard let value = node.values.last else {
                throw DecodingError.valueNotFound(String.self, .init(codingPath: codingPath, debugDescription: "no value"))
            }
            return value
        }

        private func parse<T>(_ parse: (String) -> T?, _ name: String) throws -> T {
            let value = try text()
            guard let parsed = parse(value) else {
                throw DecodingError.typeMismatch(T.self, .init(codingPath: codingPath, debugDescription: "\"\(value)\" is not \(name)"))
            }
            return parsed
        }

        func decode(_ type: Bool.Type) throws -> Bool { try parse(MessageBinding.parseBool, "a bool") }
        func decode(_ type: String.Type) throws -> String { try text() }
        func decode(_ type: Double.Type) throws -> Double { try parse(Double.init, "a number") }
        func decode(_ type: Float.Type) throws -> Float { try parse(Float.init, "a number") }
        func decode(_ type: Int.Type) throws -> Int { try parse({ Int($0) }, "an integer") }
        func decode(_ type: Int8.Type) throws -> Int8 { try parse({ Int8($0) }, "an integer") }
        func decode(_ type: Int16.Type) throws -> Int16 { try parse({ Int16($0) }, "an integer") }
        func decode(_ type: Int32.Type) throws -> Int32 { try parse({ Int32($0) }, "an integer") }
        func decode(_ type: Int64.Type) throws -> Int64 { try parse({ Int64($0) }, "an integer") }
        func decode(_ type: UInt.Type) throws -> UInt { try parse({ UInt($0) }, "an unsigned integer") }
        func decode(_ type: UInt8.Type) throws -> UInt8 { try parse({ UInt8($0) }, "an unsigned integer") }
        func decode(_ type: UInt16.Type) throws -> UInt16 { try parse({ UInt16($0) }, "an unsigned integer") }
        func decode(_ type: UInt32.Type) throws -> UInt32 { try parse({ UInt32($0) }, "an unsigned integer") }
        func decode(_ type: UInt64.Type) throws -> UInt64 { try parse({ UInt64($0) }, "an unsigned integer") }

        func decode<T: Decodable>(_ type: T.Type) throws -> T {
            try T(from: FormValueDecoder(node: node, codingPath: codingPath))
        }
    }
}
