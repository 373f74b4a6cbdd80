import Foundation
import KratosGRPC

extension EtcdClient {
    /// A test on one key in a transaction.
    ///
    /// ```swift
    /// .version("/lock", .equal, 0)          // the key does not exist
    /// .value("/config/mode", .notEqual, "x")
    /// ```
    public struct Compare: Sendable {
        public enum Result: Sendable { case equal, greater, less, notEqual }

        let message: Etcdserverpb_Compare

        /// Changes since creation; 0 for a key that does not exist.
        public static func version(_ key: String, _ result: Result, _ version: Int64) -> Compare {
            Compare(key, result, .version) { $0.version = version }
        }

        public static func createRevision(_ key: String, _ result: Result, _ revision: Int64) -> Compare {
            Compare(key, result, .create) { $0.createRevision = revision }
        }

        public static func modRevision(_ key: String, _ result: Result, _ revision: Int64) -> Compare {
            Compare(key, result, .mod) { $0.modRevision = revision }
        }

        public static func value(_ key: String, _ result: Result, _ value: String) -> Compare {
            Compare(key, result, .value) { $0.value = Data(value.utf8) }
        }

        public static func lease(_ key: String, _ result: Result, _ lease: Int64) -> Compare {
            Compare(key, result, .lease) { $0.lease = lease }
        }

        private init(_ key: String, _ result: Result, _ target: Etcdserverpb_Compare.CompareTarget,
                     _ operand: (inout Etcdserverpb_Compare) -> Void) {
            var message = Etcdserverpb_Compare()
            message.key = Data(key.utf8)
            message.target = target
            message.result = switch result {
            case .equal: .equal
            case .greater: .greater
            case .less: .less
            case .notEqual: .notEqual
            }
            operand(&message)
            self.message = message
        }
    }

    /// A read or write inside a transaction.
    public enum Operation: Sendable {
        case get(String, prefix: Bool = false)
        case put(String, String, lease: Int64 = 0)
        case delete(String, prefix: Bool = false)

        var message: Etcdserverpb_RequestOp {
            switch self {
            case .get(let key, let prefix): .with { $0.requestRange = EtcdClient.rangeRequest(key, prefix: prefix) }
            case .put(let key, let value, let lease): .with { $0.requestPut = EtcdClient.putRequest(key, Array(value.utf8), lease: lease) }
            case .delete(let key, let prefix): .with { $0.requestDeleteRange = EtcdClient.deleteRequest(key, prefix: prefix) }
            }
        }
    }

    /// What one operation of a transaction did.
    public enum OperationResult: Sendable {
        /// The pairs a `get` found.
        case get([KeyValue])
        case put
        /// How many keys a `delete` removed.
        case delete(Int64)
    }

    /// What a transaction did: which branch ran, its results in order, the store's revision after.
    public struct TxnResult: Sendable {
        public var succeeded: Bool
        public var results: [OperationResult]
        public var revision: Int64
    }

    /// Atomically: if every comparison in `compare` holds, runs `success`, else `failure`. Not
    /// tried again after a timeout (it might have been applied).
    ///
    /// ```swift
    /// let created = try await etcd.txn(if: [.version("/lock", .equal, 0)], then: [.put("/lock", "me")]).succeeded
    /// ```
    public func txn(if compare: [Compare], then success: [Operation], else failure: [Operation] = []) async throws -> TxnResult {
        let request = Etcdserverpb_TxnRequest.with {
            $0.compare = compare.map(\.message)
            $0.success = success.map(\.message)
            $0.failure = failure.map(\.message)
        }
        let reply = try await unary(idempotent: false) { try await Etcdserverpb_KVGRPCClient($0).txn(request) }
        let results = reply.responses.compactMap { response -> OperationResult? in
            switch response.response {
            case .responseRange(let range): .get(range.kvs.map(KeyValue.init))
            case .responsePut: .put
            case .responseDeleteRange(let delete): .delete(delete.deleted)
            case .responseTxn, nil: nil
            }
        }
        return TxnResult(succeeded: reply.succeeded, results: results, revision: reply.header.revision)
    }
}
