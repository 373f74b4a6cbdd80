/// The gRPC status codes, and their mapping to and from HTTP status codes as go-kratos maps them.
///
/// A plain enum so the core needs no gRPC library; `KratosGRPC` converts it to grpc-swift's type.
public enum GRPCStatusCode: Int, Sendable, CaseIterable {
    case ok = 0
    case cancelled = 1
    case unknown = 2
    case invalidArgument = 3
    case deadlineExceeded = 4
    case notFound = 5
    case alreadyExists = 6
    case permissionDenied = 7
    case resourceExhausted = 8
    case failedPrecondition = 9
    case aborted = 10
    case outOfRange = 11
    case unimplemented = 12
    case `internal` = 13
    case unavailable = 14
    case dataLoss = 15
    case unauthenticated = 16

    /// HTTP → gRPC: 200 OK, 400 InvalidArgument, 401 Unauthenticated, 403 PermissionDenied,
    /// 404 NotFound, 409 Aborted, 429 ResourceExhausted, 499 Canceled, 500 Internal,
    /// 501 Unimplemented, 503 Unavailable, 504 DeadlineExceeded, anything else Unknown.
    public init(httpStatus: Int) {
        switch httpStatus {
        case 200: self = .ok
        case 400: self = .invalidArgument
        case 401: self = .unauthenticated
        case 403: self = .permissionDenied
        case 404: self = .notFound
        case 409: self = .aborted
        case 429: self = .resourceExhausted
        case 499: self = .cancelled
        case 500: self = .internal
        case 501: self = .unimplemented
        case 503: self = .unavailable
        case 504: self = .deadlineExceeded
        default: self = .unknown
        }
    }

    /// gRPC → HTTP: OK 200, Canceled 499, Unknown/Internal/DataLoss 500,
    /// InvalidArgument/OutOfRange 400, FailedPrecondition 412, DeadlineExceeded 504, NotFound 404,
    /// AlreadyExists/Aborted 409, PermissionDenied 403, Unauthenticated 401, ResourceExhausted 429,
    /// Unimplemented 501, Unavailable 503.
    public var httpStatus: Int {
        switch self {
        case .ok: 200
        case .cancelled: 499
        case .unknown, .internal, .dataLoss: 500
        case .invalidArgument, .outOfRange: 400
        case .failedPrecondition: 412
        case .deadlineExceeded: 504
        case .notFound: 404
        case .alreadyExists, .aborted: 409
        case .permissionDenied: 403
        case .unauthenticated: 401
        case .resourceExhausted: 429
        case .unimplemented: 501
        case .unavailable: 503
        }
    }
}
