import Foundation
import SwiftProtobuf
import Yams

/// YAML: `Codable` types through Yams; SwiftProtobuf messages through their protojson form.
public struct YAMLCodec: Codec {
    public let name = "yaml"
    public let contentType = "application/yaml"

    public init() {}

    public func encode(_ value: any Sendable) throws -> [UInt8] {
        if let message = value as? any SwiftProtobuf.Message {
            let object = try Yams.load(yaml: try message.jsonString()) ?? [String: Any]()
            return Array(try Yams.dump(object: object, sortKeys: true).utf8)
        }
        if let encodable = value as? any Encodable {
            return Array(try YAMLEncoder().encode(encodable).utf8)
        }
        throw unsupported(value)
    }

    public func decode<T>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let text = String(decoding: bytes, as: UTF8.self)
        do {
            if let messageType = type as? any SwiftProtobuf.Message.Type {
                let object = try Yams.load(yaml: text) ?? [String: Any]()
                let json = try JSONSerialization.data(withJSONObject: object, options: [.fragmentsAllowed])
                var options = JSONDecodingOptions()
                options.ignoreUnknownFields = true
                return try decoded(messageType.init(jsonUTF8Bytes: Array(json), extensions: nil, options: options), as: type)
            }
            if let decodableType = type as? any Decodable.Type {
                return try decoded(YAMLDecoder().decode(decodableType, from: text), as: type)
            }
        } catch {
            throw KratosError.codec("invalid YAML body: \(JSONCodec.describe(error))", cause: error)
        }
        throw cannotDecode(type)
    }
}
