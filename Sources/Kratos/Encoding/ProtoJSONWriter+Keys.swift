import Synchronization
import SwiftProtobuf

extension ProtoJSONWriter {
    /// Per message type: `"jsonName":` for each field number, and `"jsonName":value` for each
    /// field that has an unpopulated form, by number; nil when the type needs SwiftProtobuf.
    final class Keys: Sendable {
        let byNumber: [Int: [UInt8]]
        let defaults: [(number: Int, member: [UInt8])]

        private init(_ byNumber: [Int: [UInt8]], defaults: [(number: Int, member: [UInt8])]) {
            self.byNumber = byNumber
            self.defaults = defaults
        }

        private static let cache = Mutex<[ObjectIdentifier: Keys?]>([:])

        /// The keys of `type`, learned once; nil once the type is known to need SwiftProtobuf.
        static func of(_ type: any SwiftProtobuf.Message.Type) -> Keys? {
            let id = ObjectIdentifier(type)
            if let known = cache.withLock({ $0[id] }) { return known }
            let keys = make(for: type)
            cache.withLock { $0[id] = keys }
            return keys
        }

        /// The keys of `type` from its schema; nil for the well-known types, whose JSON is special.
        static func make(for type: any SwiftProtobuf.Message.Type) -> Keys? {
            guard !type.protoMessageName.hasPrefix("google.protobuf.") else { return nil }
            var byNumber: [Int: [UInt8]] = [:]
            var defaults: [(number: Int, member: [UInt8])] = []
            for field in MessageSchema.of(type).ordered {
                byNumber[field.number] = Array("\"\(field.jsonName)\":".utf8)
                if let value = field.unpopulated {
                    defaults.append((field.number, Array("\"\(field.jsonName)\":\(value)".utf8)))
                }
            }
            return Keys(byNumber, defaults: defaults)
        }

        static func markUnsupported(_ type: any SwiftProtobuf.Message.Type) {
            cache.withLock { $0[ObjectIdentifier(type)] = .some(nil) }
        }
    }
}
