/// Decodes `Decodable` types from a ``ConfigValue``: maps are keyed containers, lists unkeyed
/// ones; scalars convert from strings where needed (environment values are strings), and
/// `Duration` reads `"1s"`, `"500ms"`.
public struct ConfigDecoder: Sendable {
    public init() {}

    public func decode<T: Decodable>(_ type: T.Type, from value: ConfigValue) throws -> T {
        try ValueDecoder(value: value, codingPath: []).decodeValue(type)
    }
}

private struct ConfigKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(stringValue: String) { self.stringValue = stringValue }
    init(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

private struct ValueDecoder: Decoder {
    let value: ConfigValue
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var keyPath: String { codingPath.map(\.stringValue).joined(separator: ".") }

    func mismatch(_ expected: String) -> DecodingError {
        .typeMismatch(Any.self, .init(codingPath: codingPath, debugDescription: ConfigError.typeMismatch(key: keyPath, expected: expected, found: value).description))
    }

    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if type == Duration.self {
            guard let duration = (try? value.duration()) as? T else { throw mismatch(#"a duration such as "1s""#) }
            return duration
        }
        return try T(from: self)
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .map(let map) = value else { throw mismatch("a map") }
        return KeyedDecodingContainer(Keyed<Key>(map: map, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let values) = value else { throw mismatch("a list") }
        return Unkeyed(values: values, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    struct Keyed<Key: CodingKey>: KeyedDecodingContainerProtocol {
        let map: [String: ConfigValue]
        let codingPath: [any CodingKey]

        var allKeys: [Key] { map.keys.compactMap { Key(stringValue: $0) } }
        func contains(_ key: Key) -> Bool { map[key.stringValue] != nil }

        private func child(_ key: Key) throws -> ValueDecoder {
            guard let value = map[key.stringValue] else {
                let path = (codingPath + [key]).map(\.stringValue).joined(separator: ".")
                throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: ConfigError.notFound(key: path).description))
            }
            return ValueDecoder(value: value, codingPath: codingPath + [key])
        }

        func decodeNil(forKey key: Key) throws -> Bool {
            guard let value = map[key.stringValue] else { return true }
            return value == .null
        }

        func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T { try child(key).decodeValue(type) }

        func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws -> KeyedDecodingContainer<NestedKey> {
            try child(key).container(keyedBy: type)
        }

        func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer { try child(key).unkeyedContainer() }
        func superDecoder() throws -> any Decoder { ValueDecoder(value: .map(map), codingPath: codingPath) }
        func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
    }

    struct Unkeyed: UnkeyedDecodingContainer {
        let values: [ConfigValue]
        let codingPath: [any CodingKey]
        var currentIndex = 0

        init(values: [ConfigValue], codingPath: [any CodingKey]) {
            self.values = values
            self.codingPath = codingPath
        }

        var count: Int? { values.count }
        var isAtEnd: Bool { currentIndex >= values.count }

        private mutating func next() throws -> ValueDecoder {
            guard !isAtEnd else { throw DecodingError.valueNotFound(Any.self, .init(codingPath: codingPath, debugDescription: "list ended")) }
            defer { currentIndex += 1 }
            return ValueDecoder(value: values[currentIndex], codingPath: codingPath + [ConfigKey(intValue: currentIndex)])
        }

        mutating func decodeNil() throws -> Bool {
            guard !isAtEnd, values[currentIndex] == .null else { return false }
            currentIndex += 1
            return true
        }

        mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try next().decodeValue(type) }
        mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws -> KeyedDecodingContainer<NestedKey> {
            try next().container(keyedBy: type)
        }
        mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
        mutating func superDecoder() throws -> any Decoder { try next() }
    }
}

extension ValueDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { value == .null }

    private func read<T>(_ convert: (ConfigValue) throws -> T, _ expected: String) throws -> T {
        do {
            return try convert(value)
        } catch {
            throw mismatch(expected)
        }
    }

    private func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard let value = T(exactly: try read({ try $0.int() }, "an integer")) else { throw mismatch("an integer that fits \(T.self)") }
        return value
    }

    func decode(_ type: Bool.Type) throws -> Bool { try read({ try $0.bool() }, "a bool") }
    func decode(_ type: String.Type) throws -> String { try read({ try $0.string() }, "a string") }
    func decode(_ type: Double.Type) throws -> Double { try read({ try $0.double() }, "a number") }
    func decode(_ type: Float.Type) throws -> Float { Float(try read({ try $0.double() }, "a number")) }
    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
}
