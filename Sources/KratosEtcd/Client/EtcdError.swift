/// What goes wrong talking to etcd apart from the call failures, which come as `KratosError`s
/// carrying etcd's gRPC status (`receivedGRPCCode`, `message`).
public enum EtcdError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An endpoint the client cannot use (not `host:port` or `http://host:port`).
    case invalidEndpoint(String)
    /// The user name or password was refused.
    case authenticationFailed(String)
    /// The lease no longer exists in etcd, or could not be renewed before its TTL ran out.
    case leaseExpired(Int64)
    /// etcd refused to watch these keys to the authenticated user.
    case permissionDenied(String)
    /// A watch asked for history etcd has compacted; `revision` is the oldest one it still has.
    case compacted(revision: Int64)

    public var description: String {
        switch self {
        case .invalidEndpoint(let endpoint): "etcd endpoint \(endpoint) is not host:port or http://host:port"
        case .authenticationFailed(let message): "etcd refused the credentials: \(message)"
        case .leaseExpired(let id): "etcd lease \(id) expired"
        case .permissionDenied(let key): "etcd refused to watch \(key): permission denied"
        case .compacted(let revision): "etcd compacted the watched history; the oldest revision left is \(revision)"
        }
    }
}
