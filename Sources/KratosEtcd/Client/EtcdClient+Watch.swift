import Foundation
import Kratos
import KratosGRPC

extension EtcdClient {
    /// One change to a watched key.
    public struct WatchEvent: Sendable {
        public enum Kind: Sendable, Equatable { case put, delete }

        public var kind: Kind
        /// For a put, the new pair; for a delete, the key with the deletion's revision.
        public var keyValue: KeyValue
        /// The pair before the change, when the watch asked for it.
        public var previous: KeyValue?
    }

    /// What a watch reports: changes, or that it was (re)established.
    public struct WatchResponse: Sendable {
        /// The store's revision this response brings the watch up to.
        public var revision: Int64
        public var events: [WatchEvent]
        /// The watch was created on a new stream (the first response, and one after each
        /// reconnection). It resumes where it left off, so nothing is missed; but when etcd's
        /// revision went backwards (its data was lost), it watches from now, and a consumer that
        /// keeps state should read the keys again.
        public var isCreated: Bool
    }

    /// Watches `key` (or every key with the prefix `key`) from `revision` on (nil: from now).
    ///
    /// The stream is opened again on another member when it breaks, resuming after the last
    /// revision seen; the sequence ends by throwing ``EtcdError/compacted(revision:)`` when the
    /// history it needs was compacted or ``EtcdError/permissionDenied(_:)`` when the user may not
    /// read the keys, and quietly when the consuming task is cancelled or the client closed.
    ///
    /// ```swift
    /// for try await response in etcd.watch("/config/", prefix: true) {
    ///     for event in response.events { logger.info("\(event.kind) \(event.keyValue.key)") }
    /// }
    /// ```
    public func watch(_ key: String, prefix: Bool = false, fromRevision revision: Int64? = nil,
                      previousValues: Bool = false) -> AsyncThrowingStream<WatchResponse, any Error> {
        var create = Etcdserverpb_WatchCreateRequest()
        create.key = Data(key.utf8)
        if prefix { create.rangeEnd = Data(Self.prefixEnd(Array(key.utf8))) }
        create.prevKv = previousValues
        create.progressNotify = true
        return streaming { [create] yield in try await self.runWatch(create, from: max(revision ?? 0, 0), yield) }
    }

    /// The watch loop: one stream at a time, each created from the revision after the last seen.
    private func runWatch(_ create: Etcdserverpb_WatchCreateRequest, from start: Int64,
                          _ deliver: @escaping @Sendable (WatchResponse) -> Void) async throws {
        let state = LockedState(WatchState(next: start))
        var backoff = Backoff(maximum: configuration.maxReconnectDelay)
        while !Task.isCancelled, !isClosed {
            do {
                let token = try await ensureToken()
                var request = create
                request.startRevision = state.value.next
                let opening = Etcdserverpb_WatchRequest.with { $0.createRequest = request }
                do {
                    try await Etcdserverpb_WatchGRPCClient(streams).watch(requests: { writer in
                        try await writer.write(opening)
                        while true { try await Task.sleep(for: .seconds(3600)) }
                    }, onMessage: { reply in
                        if let response = try Self.accept(reply, state: state) { deliver(response) }
                    })
                } catch {
                    if state.value.refused {
                        auth.invalidate(token)
                    } else if let error = error as? KratosError, EtcdAuth.isTokenError(error) {
                        auth.invalidate(token)
                    }
                    throw error
                }
            } catch {
                if Task.isCancelled || isClosed { return }
                let now = state.withLock { state in
                    if state.delivered { state.refusals = 0 }
                    if state.refused { state.refusals += 1 }
                    let now = state
                    state.delivered = false
                    state.refused = false
                    return now
                }
                if let failure = now.failure { throw failure }
                // Refused again with a fresh token: the user may not read these keys.
                if now.refusals >= 2 { throw EtcdError.permissionDenied(String(decoding: create.key, as: UTF8.self)) }
                if now.delivered { backoff.reset() }
                logger.debug("etcd watch stream ended; opening it again",
                             metadata: ["etcd.key": "\(String(decoding: create.key, as: UTF8.self))", "etcd.error": "\(error)"])
            }
            try await backoff.wait()
        }
    }

    /// Reads one reply of a watch stream into `state`: what to deliver, if anything. Throws to
    /// end the stream when the watch must be created again or cannot go on.
    private static func accept(_ reply: Etcdserverpb_WatchResponse, state: LockedState<WatchState>) throws -> WatchResponse? {
        let revision = reply.header.revision
        // Before `created`: etcd refuses a create with both set.
        if reply.canceled {
            state.withLock { state in
                if reply.compactRevision > 0 { state.failure = .compacted(revision: reply.compactRevision) }
                if reply.cancelReason.contains("permission denied") || reply.cancelReason.contains("auth") { state.refused = true }
            }
            throw WatchState.Restart()
        }
        if reply.created {
            let wentBack = state.withLock { state -> Bool in
                // etcd is behind what this watch has seen: its data was lost. Watch from now.
                if state.next > revision + 1 {
                    state.next = 0
                    return true
                }
                if state.next == 0 { state.next = revision + 1 }
                state.delivered = true
                return false
            }
            if wentBack { throw WatchState.Restart() }
            return WatchResponse(revision: revision, events: [], isCreated: true)
        }
        let events = reply.events.map { event in
            WatchEvent(kind: event.type == .delete ? .delete : .put, keyValue: KeyValue(event.kv),
                       previous: event.hasPrevKv ? KeyValue(event.prevKv) : nil)
        }
        state.withLock { state in
            state.next = (events.last?.keyValue.modRevision ?? revision) + 1
            state.delivered = true
        }
        // Progress notifications (no events) only move the resume point.
        return events.isEmpty ? nil : WatchResponse(revision: revision, events: events, isCreated: false)
    }
}

/// Where a watch is, across the streams it runs on.
struct WatchState: Sendable {
    /// The revision to create the next stream's watch from; 0 is "now".
    var next: Int64
    /// Why the watch cannot go on, when it cannot.
    var failure: EtcdError?
    /// etcd refused the watch (the token was no longer valid, or the user may not read the keys).
    var refused = false
    /// Refusals in a row, each after authenticating again.
    var refusals = 0
    /// The current stream delivered something: the next reconnection starts quick.
    var delivered = false

    /// Ends a stream so the watch is created again.
    struct Restart: Error {}
}
