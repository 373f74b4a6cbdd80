import Kratos
import KratosGRPC
import Logging

/// An etcd v3 client on Kratos's gRPC client: KV (get, prefix ranges, put, delete, transactions),
/// leases (grant, keep-alive, revoke), watches that reconnect and resume, several members with
/// failover, and user/password authentication.
///
/// ```swift
/// let etcd = try await EtcdClient(.init(endpoints: ["127.0.0.1:2379"]))
/// try await etcd.put("/config/app.yaml", "greeting: hello")
/// let value = try await etcd.get("/config/app.yaml")?.valueString
/// etcd.close()
/// ```
///
/// TLS (`https://` endpoints) is not supported yet: the gRPC client speaks plain HTTP/2 only.
public final class EtcdClient: Sendable {
    public let configuration: Configuration
    let logger: Logger
    /// Unary calls, each with ``Configuration/requestTimeout``.
    let calls: KratosGRPCClient
    /// Watch and keep-alive streams, each with ``Configuration/streamLifetime``.
    let streams: KratosGRPCClient
    let auth: EtcdAuth
    private let closed = LockedState(false)
    /// The watches and keep-alives running, cancelled by ``close()``.
    let running = TaskSet()

    /// Creates a client; connections open on the first call, so an unreachable etcd is reported
    /// by calls, not here.
    /// - Throws: ``EtcdError/invalidEndpoint(_:)`` for an endpoint it cannot use.
    public init(_ configuration: Configuration, logger: Logger = Logger(label: "kratos.etcd")) async throws {
        self.configuration = configuration
        self.logger = logger
        let endpoint = try configuration.directEndpoint()
        let auth = EtcdAuth(username: configuration.username, password: configuration.password)
        self.auth = auth
        calls = try await KratosGRPCClient(.init(endpoint: endpoint, timeout: configuration.requestTimeout,
                                                 connectTimeout: configuration.connectTimeout, security: configuration.security),
                                           middleware: [auth.middleware])
        streams = try await KratosGRPCClient(.init(endpoint: endpoint, timeout: configuration.streamLifetime,
                                                   connectTimeout: configuration.connectTimeout, security: configuration.security),
                                             middleware: [auth.middleware])
    }

    /// Lets calls in flight finish, then closes the connections; watches, keep-alives and the
    /// registrations and discoveries built on them end too.
    public func close() {
        closed.withLock { $0 = true }
        running.cancelAll()
        calls.close()
        streams.close()
    }

    /// Whether ``close()`` was called: the loops that reconnect stop.
    public var isClosed: Bool { closed.value }

    /// Runs a unary call: authenticates first when needed, tries the next member when one is
    /// unavailable (down, or without a leader) — or, for a call that may run twice, did not
    /// answer in time (a member still forwarding to a leader that just died) — and authenticates
    /// again once when etcd refuses the token.
    func unary<Reply: Sendable>(idempotent: Bool = true, _ body: @Sendable (KratosGRPCClient) async throws -> Reply) async throws -> Reply {
        var backoff = Backoff(maximum: .seconds(1))
        var attempts = 0
        var renewedToken = false
        while true {
            let token = try await ensureToken()
            do {
                return try await body(calls)
            } catch let error as KratosError {
                if auth.hasCredentials, !renewedToken, EtcdAuth.isTokenError(error) {
                    auth.invalidate(token)
                    renewedToken = true
                    continue
                }
                guard Self.isRetryable(error, idempotent: idempotent), attempts < configuration.retries else { throw error }
                attempts += 1
                logger.debug("etcd call failed; trying again", metadata: ["etcd.error": "\(error.message)", "etcd.attempt": "\(attempts)"])
                try await backoff.wait()
            }
        }
    }

    /// UNAVAILABLE: the member could not be reached, lost its leader, or timed out inside etcd;
    /// DEADLINE_EXCEEDED too when running the call twice does no harm.
    static func isRetryable(_ error: KratosError, idempotent: Bool = true) -> Bool {
        error.receivedGRPCCode == .unavailable || (idempotent && error.receivedGRPCCode == .deadlineExceeded)
    }

    /// The token to send, authenticating first when the client has credentials and no token.
    @discardableResult
    func ensureToken() async throws -> String? {
        guard let username = auth.username, let password = auth.password else { return nil }
        if let token = auth.current { return token }
        var backoff = Backoff(maximum: .seconds(1))
        var attempts = 0
        while true {
            do {
                let request = Etcdserverpb_AuthenticateRequest.with {
                    $0.name = username
                    $0.password = password
                }
                let reply = try await Etcdserverpb_AuthGRPCClient(calls).authenticate(request)
                auth.set(reply.token)
                return reply.token
            } catch let error as KratosError {
                guard Self.isRetryable(error), attempts < configuration.retries else {
                    if error.receivedGRPCCode == .invalidArgument || error.receivedGRPCCode == .unauthenticated {
                        throw EtcdError.authenticationFailed(error.message)
                    }
                    throw error
                }
                attempts += 1
                try await backoff.wait()
            }
        }
    }
}

extension EtcdClient {
    /// A sequence fed by `body` on a task of its own (a watch, a keep-alive): the task ends the
    /// sequence when it returns or throws (quietly when cancelled), is cancelled when the consumer
    /// goes, and by ``close()``.
    func streaming<Element: Sendable>(
        _ body: @escaping @Sendable (_ yield: @escaping @Sendable (Element) -> Void) async throws -> Void
    ) -> AsyncThrowingStream<Element, any Error> {
        let (stream, continuation) = AsyncThrowingStream<Element, any Error>.makeStream()
        let task = Task {
            do {
                try await body { continuation.yield($0) }
                continuation.finish()
            } catch {
                continuation.finish(throwing: Task.isCancelled ? nil : error)
            }
        }
        let id = running.insert(task)
        continuation.onTermination = { [running] _ in
            task.cancel()
            running.remove(id)
        }
        return stream
    }
}
