import Foundation
import SwiftProtobuf

/// Turns values into bytes and back for one content type.
///
/// Codecs receive values as `any Sendable` because middleware and handlers are type-erased:
/// each codec accepts what it can represent (SwiftProtobuf messages, `Codable` types, …) and
/// throws 400 `CODEC` for input it cannot decode.
public protocol Codec: Sendable {
    /// The registry name and content subtype, e.g. `json` for `application/json`.
    var name: String { get }
    /// The `Content-Type` this codec writes.
    var contentType: String { get }
    func encode(_ value: any Sendable) throws -> [UInt8]
    /// Encodes a message whose type is known statically; codecs for messages implement it to skip
    /// the dynamic type check of ``encode(_:)``.
    func encode<M: SwiftProtobuf.Message>(message: M) throws -> [UInt8]
    func decode<T>(_ type: T.Type, from bytes: [UInt8]) throws -> T
}

extension Codec {
    public func encode<M: SwiftProtobuf.Message>(message: M) throws -> [UInt8] {
        try encode(message)
    }
}

extension Codec {
    /// The error for a value this codec cannot represent.
    func unsupported(_ value: Any) -> KratosError {
        KratosError(code: 500, reason: "CODEC", message: "\(name) codec cannot encode \(type(of: value))")
    }

    func cannotDecode<T>(_ type: T.Type) -> KratosError {
        .codec("\(name) codec cannot decode \(type)")
    }

    /// `value`, decoded through an existential of `T`, as `T` again (a checked cast, not a trap).
    func decoded<T>(_ value: Any, as type: T.Type) throws -> T {
        guard let typed = value as? T else { throw cannotDecode(type) }
        return typed
    }
}

/// Codecs by name, and the choice of codec for a `Content-Type` or `Accept` header.
public struct CodecRegistry: Sendable {
    private var codecs: [String: any Codec] = [:]
    /// Used for replies when `Accept` names nothing known (and for `*/*`).
    public var fallback: any Codec

    /// json, proto, x-www-form-urlencoded, yaml and xml (`application/xml` and `text/xml`).
    public static let standard = CodecRegistry([JSONCodec(), ProtoCodec(), FormCodec(), YAMLCodec(), XMLCodec()])

    public init(_ codecs: [any Codec]) {
        fallback = codecs.first ?? JSONCodec()
        for codec in codecs { register(codec) }
    }

    public mutating func register(_ codec: any Codec) {
        codecs[codec.name] = codec
    }

    /// The codec registered as `name` or one of its aliases, ignoring case and surrounding spaces.
    public subscript(name: String) -> (any Codec)? {
        if let codec = codecs[name] ?? Self.aliases[name].flatMap({ codecs[$0] }) { return codec }
        let normalized = name.trimmingCharacters(in: .whitespaces).lowercased()
        guard normalized != name else { return nil }
        return codecs[normalized] ?? Self.aliases[normalized].flatMap { codecs[$0] }
    }

    /// Other names clients use: `x-protobuf`/`protobuf` for proto, go-kratos v3's `protojson`
    /// for json, `x-yaml` for yaml, `form` for x-www-form-urlencoded.
    private static let aliases = ["x-protobuf": "proto", "protobuf": "proto", "protojson": "json", "x-yaml": "yaml",
                                  "form": "x-www-form-urlencoded"]

    /// The codec for a request's `Content-Type`, e.g. `application/json; charset=utf-8` → json.
    public func codec(forContentType contentType: String) -> (any Codec)? {
        self[Self.subtype(of: contentType)]
    }

    /// A codec and the media type to label what it writes with.
    public struct Choice: Sendable {
        public let codec: any Codec
        /// The media type the client asked for (`application/x-protobuf`, `text/xml`), or the
        /// codec's own ``Codec/contentType``.
        public let contentType: String
    }

    /// The codec for a reply, from the request's `Accept` header: the first media range naming a
    /// known codec; ``fallback`` for `*/*`, a missing header, or nothing known.
    public func codec(forAccept accept: String?) -> any Codec {
        reply(forAccept: accept).codec
    }

    /// The codec for a reply and its label: the first media range of `Accept` naming a known
    /// codec, labelled with that media type (so `Accept: application/x-protobuf` is answered in
    /// proto labelled `application/x-protobuf`); ``fallback`` with its own type otherwise.
    public func reply(forAccept accept: String?) -> Choice {
        guard let accept, !accept.isEmpty else { return Choice(codec: fallback, contentType: fallback.contentType) }
        for range in accept.split(separator: ",") {
            guard let codec = codec(forContentType: String(range)) else { continue }
            let mediaType = range.prefix { $0 != ";" }.trimmingCharacters(in: .whitespaces).lowercased()
            return Choice(codec: codec, contentType: mediaType == codec.contentType ? codec.contentType : mediaType)
        }
        return Choice(codec: fallback, contentType: fallback.contentType)
    }

    /// The content subtype exactly as go-kratos's `httputil.ContentSubtype` reads it: the text
    /// between the first `/` and the first `;` (`application/json; charset=utf-8` → `json`), and
    /// `""` without a slash or with a `;` before it. Case and spaces are kept; the lookup ignores them.
    public static func subtype(of contentType: String) -> String {
        guard let slash = contentType.firstIndex(of: "/") else { return "" }
        let end = contentType.firstIndex(of: ";") ?? contentType.endIndex
        guard end > slash else { return "" }
        return String(contentType[contentType.index(after: slash)..<end])
    }
}

/// JSON: SwiftProtobuf messages as protojson, everything else through `Codable`.
///
/// As go-kratos's JSON codec (protojson with `EmitUnpopulated`), replies carry fields left unset:
/// `{"message":""}`, `[]`, `{}`, `null` for an unset message; fields with presence (proto3
/// `optional`, oneof members) are left out when unset.
public struct JSONCodec: Codec {
    public let name = "json"
    public let contentType = "application/json"
    /// Protojson options; unknown fields are ignored when decoding, as go-kratos does.
    public var encodingOptions = JSONEncodingOptions() {
        didSet { defaultEncoding = false }
    }
    /// Whether unset fields are written (go-kratos's `EmitUnpopulated`); on by default.
    public var emitUnpopulated = true
    /// With default options, plain messages are written by ``ProtoJSONWriter`` (same bytes, less work).
    private var defaultEncoding = true
    public var decodingOptions: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        return options
    }()

    public init() {}

    public func encode<M: SwiftProtobuf.Message>(message: M) throws -> [UInt8] {
        defaultEncoding
            ? try ProtoJSONWriter.encode(message, emitUnpopulated: emitUnpopulated)
            : try ProtoJSONWriter.fallback(message, options: encodingOptions, emitUnpopulated: emitUnpopulated)
    }

    public func encode(_ value: any Sendable) throws -> [UInt8] {
        if let message = value as? any SwiftProtobuf.Message {
            return try encode(message: message)
        }
        if let encodable = value as? any Encodable {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.withoutEscapingSlashes]
            return Array(try encoder.encode(encodable))
        }
        throw unsupported(value)
    }

    public func decode<T>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        do {
            if let messageType = type as? any SwiftProtobuf.Message.Type {
                return try decoded(messageType.init(jsonUTF8Bytes: bytes, extensions: nil, options: decodingOptions), as: type)
            }
            if let decodableType = type as? any Decodable.Type {
                return try decoded(JSONDecoder().decode(decodableType, from: Data(bytes)), as: type)
            }
        } catch {
            throw KratosError.codec("invalid JSON body: \(Self.describe(error))", cause: error)
        }
        throw cannotDecode(type)
    }

    static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): context.debugDescription
        case DecodingError.keyNotFound(let key, _): "missing key \(key.stringValue)"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            "\(context.codingPath.map(\.stringValue).joined(separator: ".")): \(context.debugDescription)"
        default: "\(error)"
        }
    }
}

/// Protocol buffers binary: SwiftProtobuf messages only.
public struct ProtoCodec: Codec {
    public let name = "proto"
    /// go-kratos's label for its `proto` codec; `application/x-protobuf` is accepted too.
    public let contentType = "application/proto"

    public init() {}

    public func encode<M: SwiftProtobuf.Message>(message: M) throws -> [UInt8] {
        try message.serializedBytes()
    }

    public func encode(_ value: any Sendable) throws -> [UInt8] {
        guard let message = value as? any SwiftProtobuf.Message else { throw unsupported(value) }
        return try message.serializedBytes()
    }

    public func decode<T>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        guard let messageType = type as? any SwiftProtobuf.Message.Type else { throw cannotDecode(type) }
        do {
            return try decoded(messageType.init(serializedBytes: bytes, extensions: nil, partial: false, options: BinaryDecodingOptions()), as: type)
        } catch {
            throw KratosError.codec("invalid protobuf body: \(error)", cause: error)
        }
    }
}

extension JSONCodec {
    /// The protojson value of one field of `message`, by JSON name, as a `response_body` naming a
    /// non-message field sends it: `"kratos"`, `["a","b"]`, `{"k":"v"}`, `"12"` for an int64;
    /// `null` for an unset field with presence.
    public func encode<M: SwiftProtobuf.Message>(field jsonName: String, of message: M) throws -> [UInt8] {
        var unpopulated = self
        unpopulated.emitUnpopulated = true
        var scanner = JSONScanner(try unpopulated.encode(message: message))
        guard let value = try? scanner.member(jsonName) else { return Array("null".utf8) }
        return Array(value)
    }

    /// A new `M` whose field `jsonName` holds `bytes`, that field's JSON value (a `response_body`
    /// reply).
    public func decode<M: SwiftProtobuf.Message>(_ type: M.Type, field jsonName: String, from bytes: [UInt8]) throws -> M {
        try decode(type, from: Array("{\(JSONString.quoted(jsonName)):".utf8) + bytes + [UInt8(ascii: "}")])
    }
}
