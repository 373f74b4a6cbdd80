import GRPCCore
import GRPCProtobuf
import Kratos

extension KratosError: RPCErrorConvertible {
    /// The gRPC status code go-kratos maps ``code`` to (404 → NOT_FOUND, 504 → DEADLINE_EXCEEDED, …).
    public var rpcErrorCode: RPCError.Code {
        RPCError.Code(grpcCode)
    }

    public var rpcErrorMessage: String { message }

    /// `grpc-status-details-bin`: a `google.rpc.Status` whose details hold
    /// `google.rpc.ErrorInfo{reason, metadata}`, as go-kratos sends it.
    public var rpcErrorMetadata: GRPCCore.Metadata {
        googleRPCStatus.rpcErrorMetadata
    }

    /// The error as a `google.rpc.Status` with an `ErrorInfo` detail.
    public var googleRPCStatus: GoogleRPCStatus {
        GoogleRPCStatus(code: rpcErrorCode, message: message,
                        details: [.errorInfo(reason: reason, domain: "", metadata: metadata)])
    }

    /// The gRPC error this one is sent as.
    public var rpcError: RPCError {
        RPCError(self)
    }

    /// The framework error a gRPC error carries: code mapped back to HTTP (NOT_FOUND → 404, …),
    /// reason and metadata from its `ErrorInfo` detail when there is one.
    public init(_ error: RPCError) {
        let code = GRPCStatusCode(rawValue: error.code.rawValue) ?? .unknown
        let status = try? error.unpackGoogleRPCStatus()
        let info = status?.details.lazy.compactMap(\.errorInfo).first
        self.init(code: code.httpStatus, reason: info?.reason ?? "", message: status?.message ?? error.message,
                  metadata: info?.metadata ?? [:], cause: error)
    }
}

extension RPCError.Code {
    /// The grpc-swift code for a core ``GRPCStatusCode``.
    public init(_ code: GRPCStatusCode) {
        self = Status.Code(rawValue: code.rawValue).flatMap { RPCError.Code($0) } ?? .unknown
    }
}

extension KratosError {
    /// Any error thrown by a call or a handler, as the framework error gRPC peers exchange.
    static func fromGRPC(_ error: any Error) -> KratosError {
        if let error = error as? RPCError { return KratosError(error) }
        if let error = error as? any RPCErrorConvertible, !(error is KratosError) {
            return KratosError(RPCError(error))
        }
        return KratosError(error)
    }
}
