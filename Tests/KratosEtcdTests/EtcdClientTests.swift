import Foundation
import Kratos
import KratosEtcd
import KratosTestSupport
import Testing

extension EtcdTests {
    @Suite struct Client {
        @Test func keyValuesRangesDeletesAndTransactions() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            // A member that is down, listed first: calls fail over to the one that answers.
            let down = "127.0.0.1:\(try freePorts(1)[0])"
            let client = try await EtcdClient(.init(endpoints: [down] + etcd.endpoints))
            defer { client.close() }

            let first = try await client.put("/app/a", "1")
            try await client.put("/app/b", "2")
            try await client.put("/apple", "not under /app/")
            #expect(try await client.get("/app/a")?.valueString == "1")
            #expect(try await client.get("/app/a")?.modRevision == first)
            #expect(try await client.get("/missing") == nil)
            let range = try await client.range("/app/", prefix: true)
            #expect(range.keyValues.map(\.key) == ["/app/a", "/app/b"])
            #expect(range.revision == first + 2)
            // What etcdctl reads is what the client wrote.
            #expect(try await etcd.ctl("get", "/app/b", "--print-value-only") == "2\n")

            // A transaction: create-if-absent succeeds once.
            let created = try await client.txn(if: [.version("/lock", .equal, 0)], then: [.put("/lock", "me"), .get("/app/", prefix: true)])
            #expect(created.succeeded)
            guard case .get(let pairs) = created.results.last else { Issue.record("no get result"); return }
            #expect(pairs.count == 2)
            let again = try await client.txn(if: [.version("/lock", .equal, 0)], then: [.put("/lock", "you")],
                                             else: [.get("/lock")])
            #expect(!again.succeeded)
            guard case .get(let lock) = again.results.first else { Issue.record("no get result"); return }
            #expect(lock.first?.valueString == "me")

            #expect(try await client.delete("/app/", prefix: true) == 2)
            #expect(try await client.range("/app/", prefix: true).keyValues.isEmpty)
            #expect(try await client.get("/apple") != nil)
        }

        @Test func failsClearlyWhenNoMemberAnswers() async throws {
            let client = try await EtcdClient(.init(endpoints: ["127.0.0.1:\(try freePorts(1)[0])"]))
            defer { client.close() }
            let start = ContinuousClock.now
            await #expect {
                try await client.put("/k", "v")
            } throws: { error in
                guard let error = error as? KratosError else { return false }
                return error.code == 503 && error.message.contains("cannot reach")
            }
            #expect(ContinuousClock.now - start < .seconds(5))
            await #expect(throws: EtcdError.invalidEndpoint("https://127.0.0.1:2379")) {
                _ = try await EtcdClient(.init(endpoints: ["https://127.0.0.1:2379"]))
            }
        }

        @Test func leasesKeepKeysAliveUntilTheKeepAliveStops() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints))
            defer { client.close() }

            let lease = try await client.grantLease(ttl: .seconds(2))
            #expect(lease.ttl == 2)
            try await client.put("/leased", "x", lease: lease.id)
            #expect(try await client.get("/leased")?.lease == lease.id)

            // Kept alive past its TTL, renewed every third of it.
            let renewals = Recorder(client.keepAlive(lease.id, ttl: .seconds(2)))
            try await Task.sleep(for: .seconds(3))
            #expect(try await client.get("/leased") != nil)
            #expect(renewals.all.count >= 4)
            #expect(renewals.all.allSatisfy { $0 == 2 })

            // The keep-alive stops (the registering side died): gone within the TTL.
            renewals.stop()
            let stopped = ContinuousClock.now
            try await eventually(within: .seconds(4), "the leased key expires") { try await client.get("/leased") == nil }
            #expect(ContinuousClock.now - stopped > .milliseconds(800))
            #expect(try await client.timeToLive(ofLease: lease.id) == nil)

            // Revoking deletes at once; revoking again is fine.
            let second = try await client.grantLease(ttl: .seconds(30))
            try await client.put("/leased", "y", lease: second.id)
            try await client.revokeLease(second.id)
            #expect(try await client.get("/leased") == nil)
            try await client.revokeLease(second.id)

            // A keep-alive of a lease that no longer exists ends with leaseExpired.
            await #expect(throws: EtcdError.leaseExpired(second.id)) {
                for try await _ in client.keepAlive(second.id, ttl: .seconds(30)) {}
            }
        }

        @Test func watchesAPrefixFromARevisionAndResumesAfterARestart() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints))
            defer { client.close() }

            let start = try await client.put("/w/1", "a")
            try await client.put("/other", "not watched")
            try await client.delete("/w/1")
            // From a past revision: the history since, then what comes.
            let watch = Recorder(client.watch("/w/", prefix: true, fromRevision: start))
            try await eventually(within: .seconds(2), "past events") { watch.all.flatMap(\.events).count == 2 }
            let past = watch.all.flatMap(\.events)
            #expect(past.map(\.kind) == [.put, .delete])
            #expect(past.map(\.keyValue.key) == ["/w/1", "/w/1"])
            #expect(past.first?.keyValue.valueString == "a")
            #expect(watch.all.first?.isCreated == true)

            // etcd killed and started again with its data: the watch resumes after the last
            // revision it saw, so events come once each, in order.
            try await etcd.restart(0, wipingData: false)
            try await client.put("/w/2", "b")
            try await client.put("/w/3", "c")
            try await eventually(within: .seconds(5), "events after the restart") { watch.all.flatMap(\.events).count == 4 }
            let events = watch.all.flatMap(\.events)
            #expect(events.map(\.keyValue.key) == ["/w/1", "/w/1", "/w/2", "/w/3"])
            let revisions = events.map(\.keyValue.modRevision)
            #expect(revisions == revisions.sorted() && Set(revisions).count == revisions.count)
            #expect(watch.all.filter(\.isCreated).count >= 2)
            watch.stop()
        }
    }
}
