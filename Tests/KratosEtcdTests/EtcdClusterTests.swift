import Foundation
import Kratos
import KratosEtcd
import KratosTestSupport
import Testing

extension EtcdTests {
    @Suite struct Cluster {
        /// Three members on loopback; the leader is killed while an instance is registered and
        /// watched: keep-alive, registration and discovery go on through the other two.
        @Test func survivesTheLeaderBeingKilled() async throws {
            let etcd = try await EtcdCluster(size: 3)
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints, requestTimeout: .seconds(1)))
            defer { client.close() }
            let ttl = Duration.seconds(3)
            let registry = EtcdRegistry(client: client, configuration: .init(ttl: ttl))
            let first = ServiceInstance(id: "a1", name: "helloworld", version: "v1", endpoints: ["grpc://127.0.0.1:9000"])
            let second = ServiceInstance(id: "b2", name: "helloworld", version: "v1", endpoints: ["grpc://127.0.0.1:9001"])
            try await registry.register(first)
            let lists = Recorder(registry.watch("helloworld"))
            defer { lists.stop() }
            try await eventually(within: .seconds(2), "discovered") { lists.last == [first] }
            let lease = try #require(try await client.get("/microservices/helloworld/a1")?.lease)

            let leader = try await etcd.leader()
            // A watch that can only use the leader: while it is down, what happens elsewhere
            // must reach the watch once it is back, from the revision after the last one seen.
            let pinned = try await EtcdClient(.init(endpoints: [etcd.endpoints[leader]]))
            defer { pinned.close() }
            let watch = Recorder(pinned.watch("/during/", prefix: true))
            defer { watch.stop() }
            try await eventually(within: .seconds(2), "the pinned watch is created") { watch.all.contains(where: \.isCreated) }
            try await client.put("/during/before", "x")
            try await eventually(within: .seconds(2), "the pinned watch works") { watch.all.flatMap(\.events).count == 1 }

            etcd.kill(leader)
            let killed = ContinuousClock.now
            // Calls fail over to the other members at once.
            for index in 0..<20 {
                try await client.put("/during/\(index)", "\(index)")
            }
            #expect(try await client.range("/during/", prefix: true).keyValues.count == 21)
            try await etcd.restart(leader, wipingData: false)
            try await eventually(within: .seconds(3), "the pinned watch catches up") { watch.all.flatMap(\.events).count == 21 }
            #expect(watch.all.flatMap(\.events).map(\.keyValue.key) == ["/during/before"] + (0..<20).map { "/during/\($0)" })
            // A new instance registers and is discovered through the surviving members.
            try await registry.register(second)
            try await eventually(within: .seconds(2), "the new instance discovered") { lists.last == [first, second] }
            // The first lease is still the one kept alive, twice its TTL after the kill (a new
            // leader renews every lease once, when it takes over; only keep-alives go further).
            try await Task.sleep(until: killed + ttl * 2)
            #expect(try await client.get("/microservices/helloworld/a1")?.lease == lease)
            #expect(try await client.timeToLive(ofLease: lease) != nil)
            #expect(try await etcd.ctl("get", "--prefix", "/microservices/", "--keys-only").split(separator: "\n").count == 2)
            try await registry.deregister(second)
            try await eventually(within: .seconds(1), "the removal discovered") { lists.last == [first] }
        }

        /// A member that hangs (SIGSTOP) while it carries the keep-alive stream: the renewals move
        /// to another member before the lease runs out.
        @Test func movesKeepAlivesOffAHungMember() async throws {
            let etcd = try await EtcdCluster(size: 3)
            defer { etcd.stop() }
            // The registration's keep-alive is the first stream: it goes to the first endpoint.
            let client = try await EtcdClient(.init(endpoints: [etcd.endpoints[0], etcd.endpoints[1]], requestTimeout: .seconds(1)))
            defer { client.close() }
            let registry = EtcdRegistry(client: client, configuration: .init(ttl: .seconds(3)))
            let instance = ServiceInstance(id: "a1", name: "helloworld", version: "v1", endpoints: ["grpc://127.0.0.1:9000"])
            try await registry.register(instance)
            let lease = try #require(try await client.get("/microservices/helloworld/a1")?.lease)

            etcd.pause(0)
            defer { etcd.pause(0, false) }
            try await Task.sleep(for: .seconds(5))
            let survivors = [etcd.endpoints[1], etcd.endpoints[2]]
            let reply = try await etcd.etcdctl(["get", "/microservices/helloworld/a1", "-w", "fields"], endpoints: survivors)
            #expect(reply.stdout.contains("\"Lease\" : \(lease)\n"))
            etcd.pause(0, false)
            try await registry.deregister(instance)
        }
    }
}
