import Foundation
import Kratos
import KratosEtcd
import KratosTestSupport
import Testing

extension EtcdTests {
    @Suite struct Registry {
        static let instance = ServiceInstance(id: "a1", name: "helloworld", version: "v1.0.0", metadata: ["weight": "100", "zone": "<eu&1>"],
                                              endpoints: ["http://127.0.0.1:8000", "grpc://127.0.0.1:9000"])
        /// What go-kratos's registry writes for ``instance``: Go's encoding/json, fields in
        /// declaration order, map keys sorted, HTML characters escaped.
        static let goJSON = #"{"id":"a1","name":"helloworld","version":"v1.0.0","metadata":{"weight":"100","zone":"\u003ceu\u00261\u003e"},"endpoints":["http://127.0.0.1:8000","grpc://127.0.0.1:9000"]}"#

        @Test func registersGoKratosKeysAndJSONAndDeregisters() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints))
            defer { client.close() }
            let registry = EtcdRegistry(client: client)

            try await registry.register(Self.instance)
            #expect(try await etcd.ctl("get", "--prefix", "/microservices/") == "/microservices/helloworld/a1\n\(Self.goJSON)\n")
            #expect(try await registry.instances(of: "helloworld") == [Self.instance])
            // Leased with the default TTL of 15 s.
            let lease = try #require(try await client.get("/microservices/helloworld/a1")?.lease)
            let left = try #require(try await client.timeToLive(ofLease: lease))
            #expect(left > 10 && left <= 15)

            try await registry.deregister(Self.instance)
            #expect(try await etcd.ctl("get", "--prefix", "/microservices/") == "")
            #expect(try await client.timeToLive(ofLease: lease) == nil)
            #expect(try await registry.instances(of: "helloworld") == [])
        }

        @Test func discoversGoKratosValuesAndSkipsMalformedOnes() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints))
            defer { client.close() }
            let registry = EtcdRegistry(client: client)

            // As a go-kratos service registers: its exact JSON, written by etcdctl.
            try await etcd.ctl("put", "/microservices/helloworld/a1", Self.goJSON)
            // A Go instance with nil metadata writes null.
            try await etcd.ctl("put", "/microservices/helloworld/b2",
                               #"{"id":"b2","name":"helloworld","version":"v2","metadata":null,"endpoints":["grpc://10.0.0.2:9000"]}"#)
            try await etcd.ctl("put", "/microservices/helloworld/bad", "{not json")
            try await etcd.ctl("put", "/microservices/helloworld/wrong", #"{"id":7,"name":"helloworld"}"#)
            try await etcd.ctl("put", "/microservices/helloworld/other", #"{"id":"o","name":"billing","endpoints":[]}"#)
            try await etcd.ctl("put", "/microservices/helloworld2/c3", #"{"id":"c3","name":"helloworld2","endpoints":[]}"#)

            let found = try await registry.instances(of: "helloworld")
            #expect(found == [Self.instance,
                              ServiceInstance(id: "b2", name: "helloworld", version: "v2", endpoints: ["grpc://10.0.0.2:9000"])])
        }

        @Test func watchDeliversAdditionsAndRemovals() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints))
            defer { client.close() }
            let registry = EtcdRegistry(client: client, configuration: .init(ttl: .seconds(3)))

            let lists = Recorder(registry.watch("helloworld"))
            defer { lists.stop() }
            try await eventually(within: .seconds(2), "the first, empty list") { lists.last == [] }
            try await registry.register(Self.instance)
            try await eventually(within: .seconds(1), "the registered instance") { lists.last == [Self.instance] }
            try await etcd.ctl("put", "/microservices/helloworld/b2", #"{"id":"b2","name":"helloworld","version":"v1","metadata":{},"endpoints":[]}"#)
            let b2 = ServiceInstance(id: "b2", name: "helloworld", version: "v1", endpoints: [])
            try await eventually(within: .seconds(1), "the Go instance") { lists.last == [Self.instance, b2] }
            try await etcd.ctl("put", "/microservices/helloworld/bad", "garbage")
            try await registry.deregister(Self.instance)
            try await eventually(within: .seconds(1), "the removal") { lists.last == [b2] }
            try await etcd.ctl("del", "/microservices/helloworld/b2")
            try await eventually(within: .seconds(1), "the last removal") { lists.last == [] }
            // Only changes are delivered: [], [a1], [a1, b2], [b2], [].
            #expect(lists.all.count == 5)
        }

        @Test func registersAgainWhenTheLeaseIsRevoked() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints))
            defer { client.close() }
            let registry = EtcdRegistry(client: client, configuration: .init(ttl: .seconds(2)))
            try await registry.register(Self.instance)
            let key = "/microservices/helloworld/a1"
            let lease = try #require(try await client.get(key)?.lease)

            try await etcd.ctl("lease", "revoke", String(lease, radix: 16))
            // Gone with the lease, then back under a new one within the TTL.
            let back = try await eventually(within: .seconds(2), "registered again") {
                guard let pair = try await client.get(key) else { return false }
                return pair.lease != lease
            }
            #expect(back < .seconds(2))
            // And kept alive under the new lease past its TTL.
            try await Task.sleep(for: .seconds(2.5))
            #expect(try await client.get(key)?.valueString == Self.goJSON)
            try await registry.deregister(Self.instance)
            #expect(try await client.get(key) == nil)
        }

        @Test func anInstanceThatStopsRenewingExpiresAfterTheTTL() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints))
            let registry = EtcdRegistry(client: client, configuration: .init(ttl: .seconds(2)))
            try await registry.register(Self.instance)
            #expect(try await etcd.ctl("get", "--prefix", "/microservices/", "--print-value-only") == Self.goJSON + "\n")

            // The registering side goes away without deregistering (its process killed): no more
            // renewals, so the key goes with the lease.
            client.close()
            let stopped = ContinuousClock.now
            try await eventually(within: .seconds(4), "the instance expires") {
                try await etcd.ctl("get", "--prefix", "/microservices/").isEmpty
            }
            #expect(ContinuousClock.now - stopped > .milliseconds(800))
        }

        @Test func registersAgainAfterEtcdLosesItsData() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints))
            defer { client.close() }
            let ttl = Duration.seconds(3)
            let registry = EtcdRegistry(client: client, configuration: .init(ttl: ttl))
            try await registry.register(Self.instance)
            let lists = Recorder(registry.watch("helloworld"))
            defer { lists.stop() }
            try await eventually(within: .seconds(2), "discovered") { lists.last == [Self.instance] }

            for round in 1...2 {
                // etcd killed, its data deleted, started again: the instance is back within one TTL.
                try await etcd.restart(0, wipingData: true)
                let answering = ContinuousClock.now
                try await eventually(within: ttl, "registered again after restart \(round)") {
                    try await etcd.ctl("get", "--prefix", "/microservices/", "--print-value-only") == Self.goJSON + "\n"
                }
                #expect(ContinuousClock.now - answering < ttl)
                // Discovery follows the new etcd too.
                try await eventually(within: ttl, "discovered after restart \(round)") { lists.last == [Self.instance] }
            }
            // Still kept alive past the TTL.
            try await Task.sleep(for: ttl + .seconds(1))
            #expect(try await registry.instances(of: "helloworld") == [Self.instance])
            try await registry.deregister(Self.instance)
        }
    }
}
