import Kratos
import KratosGRPC

/// The token of an authenticated client: obtained with the user name and password, sent as
/// `token` metadata with every call but `Authenticate`, dropped when etcd refuses it so the next
/// call authenticates again.
final class EtcdAuth: Sendable {
    let username: String?
    let password: String?
    private let token = LockedState<String?>(nil)

    init(username: String?, password: String?) {
        self.username = username
        self.password = password
    }

    /// Whether the client authenticates at all.
    var hasCredentials: Bool { username != nil && password != nil }

    var current: String? { token.value }

    func set(_ value: String?) {
        token.withLock { $0 = value }
    }

    /// Forgets `stale` (not a newer token another call obtained meanwhile).
    func invalidate(_ stale: String?) {
        token.withLock { if $0 == stale { $0 = nil } }
    }

    /// Whether etcd refused the call for want of a valid token: the token expired (simple
    /// tokens live 5 minutes unused), the auth store changed, or no token was sent.
    static func isTokenError(_ error: KratosError) -> Bool {
        let message = error.message
        return message.contains("invalid auth token") || message.contains("revision of auth store is old")
            || message.contains("user name is empty") || message.contains("user name not found")
    }

    /// The middleware that puts the token on each call, and asks members without a leader to
    /// refuse the call at once (`hasleader`) so it fails over instead of waiting.
    var middleware: any Middleware {
        MiddlewareFunction { [self] request, context, next in
            if context.operation != Etcdserverpb_AuthOperation.authenticate, let token = current {
                context.setOutgoingHeader("token", token)
            }
            context.setOutgoingHeader("hasleader", "true")
            return try await next(request, context)
        }
    }
}
