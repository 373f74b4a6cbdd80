import GRPCCore
import Kratos

/// A gRPC request's metadata as the ``HeaderFields`` middleware reads; binary values appear
/// base64-encoded, as they travel on the wire.
public struct GRPCHeaders: HeaderFields {
    public let metadata: GRPCCore.Metadata

    public init(_ metadata: GRPCCore.Metadata) {
        self.metadata = metadata
    }

    public func first(_ name: String) -> String? {
        metadata[name.lowercased()].first { _ in true }?.encoded()
    }

    public func values(_ name: String) -> [String] {
        metadata[name.lowercased()].map { $0.encoded() }
    }

    public var fields: [(name: String, value: String)] {
        metadata.map { (name: $0.key, value: $0.value.encoded()) }
    }
}

extension GRPCCore.Metadata {
    /// String metadata from the framework's ``Kratos/Metadata`` (`x-md-*` keys).
    init(_ metadata: KratosMetadata) {
        self.init()
        for (key, value) in metadata { addString(value, forKey: key) }
    }

    /// Reply headers set by handlers and middleware, as response metadata.
    init(replyHeadersOf context: RequestContext) {
        self.init()
        context.forEachReplyHeader { addString($1, forKey: $0.lowercased()) }
    }
}

/// `/pkg.Service/Method` → the grpc-swift method descriptor.
func methodDescriptor(_ operation: String) throws -> MethodDescriptor {
    let parts = operation.split(separator: "/", omittingEmptySubsequences: true)
    guard operation.hasPrefix("/"), parts.count == 2 else {
        throw KratosError.internalServer("BAD_OPERATION", "\(operation) is not of the form /package.Service/Method")
    }
    return MethodDescriptor(fullyQualifiedService: String(parts[0]), method: String(parts[1]))
}
