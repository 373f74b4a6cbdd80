import Kratos

/// A gRPC call's metadata as the ``HeaderFields`` middleware reads: lower-case names, binary
/// (`-bin`) values base64-encoded, as they travel on the wire. Pseudo-headers are left out.
public struct GRPCHeaders: HeaderFields {
    public let fields: [(name: String, value: String)]

    public init(_ fields: [(name: String, value: String)]) {
        self.fields = fields
    }

    /// The request headers of a call the engine serves.
    init(_ headers: HeaderList) {
        fields = headers.compactMap { $0.name.utf8.first == UInt8(ascii: ":") ? nil : (name: $0.name, value: $0.value) }
    }

    public func first(_ name: String) -> String? {
        let name = name.lowercased()
        return fields.first { $0.name == name }?.value
    }

    public func values(_ name: String) -> [String] {
        let name = name.lowercased()
        return fields.filter { $0.name == name }.map(\.value)
    }
}

/// `/pkg.Service/Method` → its service and method names.
func operationParts(_ operation: String) throws -> (service: String, method: String) {
    let parts = operation.split(separator: "/", omittingEmptySubsequences: true)
    guard operation.hasPrefix("/"), parts.count == 2 else {
        throw KratosError.internalServer("BAD_OPERATION", "\(operation) is not of the form /package.Service/Method")
    }
    return (String(parts[0]), String(parts[1]))
}

/// Checks that an operation is `/pkg.Service/Method`, without building its parts.
func checkOperation(_ operation: String) throws {
    let utf8 = operation.utf8
    let slash = UInt8(ascii: "/")
    guard utf8.first == slash, let second = utf8.dropFirst().firstIndex(of: slash),
          second != utf8.index(after: utf8.startIndex), utf8.index(after: second) != utf8.endIndex,
          !utf8[utf8.index(after: second)...].contains(slash) else {
        throw KratosError.internalServer("BAD_OPERATION", "\(operation) is not of the form /package.Service/Method")
    }
}
