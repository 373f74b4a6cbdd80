import Kratos
import KratosGRPC

extension EtcdClient {
    /// A granted lease: keys attached to it are deleted when it expires or is revoked.
    public struct Lease: Sendable, Equatable {
        public var id: Int64
        /// The TTL etcd granted, in seconds.
        public var ttl: Int64
    }

    /// Grants a lease of `ttl` (whole seconds, rounded up, at least 1).
    public func grantLease(ttl: Duration) async throws -> Lease {
        let request = Etcdserverpb_LeaseGrantRequest.with { $0.ttl = Self.seconds(ttl) }
        let reply = try await unary { try await Etcdserverpb_LeaseGRPCClient($0).leaseGrant(request) }
        return Lease(id: reply.id, ttl: reply.ttl)
    }

    /// Revokes lease `id`, deleting its keys. A lease that no longer exists is not an error.
    public func revokeLease(_ id: Int64) async throws {
        let request = Etcdserverpb_LeaseRevokeRequest.with { $0.id = id }
        do {
            _ = try await unary { try await Etcdserverpb_LeaseGRPCClient($0).leaseRevoke(request) }
        } catch let error as KratosError where error.receivedGRPCCode == .notFound {
            return
        }
    }

    /// The seconds lease `id` has left, or nil when it no longer exists.
    public func timeToLive(ofLease id: Int64) async throws -> Int64? {
        let request = Etcdserverpb_LeaseTimeToLiveRequest.with { $0.id = id }
        let reply = try await unary { try await Etcdserverpb_LeaseGRPCClient($0).leaseTimeToLive(request) }
        return reply.ttl > 0 ? reply.ttl : nil
    }

    /// Keeps lease `id` alive: renews it every third of its TTL over one keep-alive stream,
    /// opened again (on the next member) when it breaks or its member stays silent for half the
    /// TTL, and yields the TTL of each renewal.
    ///
    /// The sequence ends by throwing ``EtcdError/leaseExpired(_:)`` when etcd says the lease is
    /// gone (revoked, expired, or lost with etcd's data) or when no renewal got through before
    /// the TTL ran out; it ends quietly when the consuming task is cancelled or the client closed.
    /// - Parameter ttl: the lease's TTL, which paces the first renewals.
    public func keepAlive(_ id: Int64, ttl: Duration) -> AsyncThrowingStream<Int64, any Error> {
        streaming { yield in try await self.runKeepAlive(id, ttl: Self.seconds(ttl), yield) }
    }

    /// The keep-alive loop: streams until the lease is gone or expired; returns when cancelled.
    private func runKeepAlive(_ id: Int64, ttl: Int64, _ renewed: @escaping @Sendable (Int64) -> Void) async throws {
        struct State {
            var ttl: Int64
            var expiry: ContinuousClock.Instant
            var gone = false
            /// A renewal came through on the current stream: the next reconnection starts quick.
            var renewed = false
            /// When the current stream opened or last answered.
            var heard = ContinuousClock.now
        }
        let state = LockedState(State(ttl: ttl, expiry: .now + .seconds(ttl)))
        var backoff = Backoff(maximum: configuration.maxReconnectDelay)
        while !Task.isCancelled, !isClosed {
            do {
                try await ensureToken()
                let ttl = state.value.ttl
                let interval = Duration.milliseconds(max(ttl * 1000 / 3, 100))
                // Silent this long, a member is hung or cut off: another gets the lease's renewals
                // while it still has time.
                let patience = max(Duration.milliseconds(ttl * 1000 / 2), interval + .milliseconds(250))
                state.withLock { $0.heard = .now }
                try await Etcdserverpb_LeaseGRPCClient(streams).leaseKeepAlive(requests: { writer in
                    while true {
                        if ContinuousClock.now - state.value.heard > patience { throw KeepAliveStalled() }
                        try await writer.write(.with { $0.id = id })
                        try await Task.sleep(for: interval)
                    }
                }, onMessage: { reply in
                    guard reply.ttl > 0 else {
                        state.withLock { $0.gone = true }
                        throw EtcdError.leaseExpired(id)
                    }
                    state.withLock {
                        $0.ttl = reply.ttl
                        $0.expiry = .now + .seconds(reply.ttl)
                        $0.renewed = true
                        $0.heard = .now
                    }
                    renewed(reply.ttl)
                })
            } catch {
                if Task.isCancelled || isClosed { return }
                let now = state.withLock { state in
                    defer { state.renewed = false }
                    return state
                }
                if now.gone || ContinuousClock.now >= now.expiry { throw EtcdError.leaseExpired(id) }
                if now.renewed { backoff.reset() }
                logger.debug("etcd keep-alive stream ended; opening it again",
                             metadata: ["etcd.lease": "\(id)", "etcd.error": "\(error)"])
            }
            try await backoff.wait()
        }
    }

    /// Whole seconds, rounded up, at least 1: etcd's TTL unit.
    static func seconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return max(1, seconds + (attoseconds > 0 ? 1 : 0))
    }
}

/// Ends a keep-alive stream whose member stopped answering, so the next one goes elsewhere.
struct KeepAliveStalled: Error {}
