import Foundation
import KratosGRPC

extension EtcdClient {
    /// A key with its value and revisions, as etcd stores it.
    public struct KeyValue: Sendable, Equatable {
        public var key: String
        public var value: [UInt8]
        /// The revision of the key's last creation.
        public var createRevision: Int64
        /// The revision of the key's last change.
        public var modRevision: Int64
        /// Changes since creation (1 after the first put).
        public var version: Int64
        /// The lease attached; 0 when none.
        public var lease: Int64

        /// The value as UTF-8 text (invalid bytes replaced).
        public var valueString: String { String(decoding: value, as: UTF8.self) }

        init(_ pair: Mvccpb_KeyValue) {
            key = String(decoding: pair.key, as: UTF8.self)
            value = [UInt8](pair.value)
            createRevision = pair.createRevision
            modRevision = pair.modRevision
            version = pair.version
            lease = pair.lease
        }
    }

    /// What a range read found, and the store's revision when it was read.
    public struct RangeResult: Sendable {
        public var keyValues: [KeyValue]
        public var revision: Int64
        /// More keys matched than the limit let through.
        public var more: Bool
    }

    /// The value of `key`, or nil when there is none.
    public func get(_ key: String) async throws -> KeyValue? {
        try await range(key).keyValues.first
    }

    /// The keys equal to `key`, or with `prefix`, in key order.
    /// - Parameters:
    ///   - prefix: every key starting with `key`.
    ///   - limit: at most this many (0: all).
    ///   - revision: read the store as it was at this revision (nil: now).
    public func range(_ key: String, prefix: Bool = false, limit: Int64 = 0, revision: Int64? = nil) async throws -> RangeResult {
        let request = Self.rangeRequest(key, prefix: prefix, limit: limit, revision: revision)
        let reply = try await unary { try await Etcdserverpb_KVGRPCClient($0).range(request) }
        return RangeResult(keyValues: reply.kvs.map(KeyValue.init), revision: reply.header.revision, more: reply.more)
    }

    /// Sets `key` to `value`, attached to `lease` (0: none).
    /// - Returns: the store's revision after the put.
    @discardableResult
    public func put(_ key: String, _ value: String, lease: Int64 = 0) async throws -> Int64 {
        try await put(key, bytes: Array(value.utf8), lease: lease)
    }

    /// Sets `key` to the bytes `value`, attached to `lease` (0: none).
    /// - Returns: the store's revision after the put.
    @discardableResult
    public func put(_ key: String, bytes value: [UInt8], lease: Int64 = 0) async throws -> Int64 {
        let request = Self.putRequest(key, value, lease: lease)
        return try await unary { try await Etcdserverpb_KVGRPCClient($0).put(request) }.header.revision
    }

    /// Deletes `key`, or every key with the prefix `key`.
    /// - Returns: how many keys were deleted.
    @discardableResult
    public func delete(_ key: String, prefix: Bool = false) async throws -> Int64 {
        let request = Self.deleteRequest(key, prefix: prefix)
        return try await unary { try await Etcdserverpb_KVGRPCClient($0).deleteRange(request) }.deleted
    }

    // MARK: Requests

    static func rangeRequest(_ key: String, prefix: Bool, limit: Int64 = 0, revision: Int64? = nil) -> Etcdserverpb_RangeRequest {
        .with {
            $0.key = Data(key.utf8)
            if prefix { $0.rangeEnd = Data(prefixEnd(Array(key.utf8))) }
            $0.limit = limit
            $0.revision = revision ?? 0
        }
    }

    static func putRequest(_ key: String, _ value: [UInt8], lease: Int64) -> Etcdserverpb_PutRequest {
        .with {
            $0.key = Data(key.utf8)
            $0.value = Data(value)
            $0.lease = lease
        }
    }

    static func deleteRequest(_ key: String, prefix: Bool) -> Etcdserverpb_DeleteRangeRequest {
        .with {
            $0.key = Data(key.utf8)
            if prefix { $0.rangeEnd = Data(prefixEnd(Array(key.utf8))) }
        }
    }

    /// The end of the range of keys starting with `prefix`: its last byte below 0xff plus one,
    /// what follows dropped; `[0]` (every key from `prefix` on) when all its bytes are 0xff.
    static func prefixEnd(_ prefix: [UInt8]) -> [UInt8] {
        var end = prefix
        while let last = end.last {
            if last < 0xff {
                end[end.count - 1] = last + 1
                return end
            }
            end.removeLast()
        }
        return [0]
    }
}
