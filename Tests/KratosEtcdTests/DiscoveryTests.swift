import Foundation
import Kratos
import KratosEtcd
import KratosGRPC
import KratosHTTPClient
import KratosTestSupport
import Synchronization
import Testing

extension EtcdTests {
    /// Three instances of a service registered in a real etcd by their apps, called through
    /// `discovery:///greeter` over HTTP and gRPC.
    @Suite struct ClientDiscovery {
        /// A client-side view of the registry, for the clients' `Discovery`.
        static func registry(_ etcd: EtcdCluster) async throws -> EtcdRegistry {
            EtcdRegistry(client: try await EtcdClient(.init(endpoints: etcd.endpoints, requestTimeout: .seconds(1))),
                         logger: quietLogger("test.discovery"))
        }

        static func start(_ ids: [String], version: String = "v1", _ etcd: EtcdCluster, registry: EtcdRegistry) async throws -> [GreeterInstance] {
            var instances: [GreeterInstance] = []
            for id in ids { instances.append(try await GreeterInstance(id: id, version: version, etcdEndpoints: etcd.endpoints)) }
            let all = Set(ids)
            try await eventually(within: .seconds(5), "\(ids) registered") {
                all.isSubset(of: Set(try await registry.instances(of: "greeter").map(\.id)))
            }
            return instances
        }

        @Test func callsSpreadPerSelectorOverBothTransports() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let registry = try await Self.registry(etcd)
            defer { registry.client.close() }
            let instances = try await Self.start(["i1", "i2", "i3"], etcd, registry: registry)

            // Weighted round robin (the default): within 10 % of even.
            let wrr = try await GreeterClients(discovery: registry)
            for (transport, call) in [("HTTP", wrr.viaHTTP), ("gRPC", wrr.viaGRPC)] {
                let result = await load(3000) { try await call() }
                #expect(result.failures.isEmpty, "\(transport): \(result.failures.prefix(3))")
                #expect(Set(result.counts.keys) == ["i1", "i2", "i3"], "\(transport): \(result.counts)")
                for (id, count) in result.counts { #expect(abs(count - 1000) <= 100, "\(transport) wrr: \(id) got \(count) of 3000") }
            }
            wrr.close()

            // Random: every instance used, none far from a third.
            let random = try await GreeterClients(discovery: registry, balancer: RandomBalancer())
            for (transport, call) in [("HTTP", random.viaHTTP), ("gRPC", random.viaGRPC)] {
                let result = await load(3000) { try await call() }
                #expect(result.failures.isEmpty, "\(transport): \(result.failures.prefix(3))")
                for id in ["i1", "i2", "i3"] {
                    #expect(abs(result.counts[id, default: 0] - 1000) <= 200, "\(transport) random: \(result.counts)")
                }
            }
            random.close()

            // P2C: an instance slowed by 20 ms a call gets far less than the others.
            instances[1].slow(.milliseconds(20))
            let p2c = try await GreeterClients(discovery: registry, balancer: P2CBalancer())
            for (transport, call) in [("HTTP", p2c.viaHTTP), ("gRPC", p2c.viaGRPC)] {
                let result = await load(3000) { try await call() }
                #expect(result.failures.isEmpty, "\(transport): \(result.failures.prefix(3))")
                let slow = result.counts["i2", default: 0]
                #expect(slow < 300 && slow < result.counts["i1", default: 0] / 4 && slow < result.counts["i3", default: 0] / 4,
                        "\(transport) p2c: \(result.counts)")
            }
            p2c.close()
            for instance in instances { await instance.stop() }
        }

        @Test func instancesComeAndGoWithoutAFailedCallOrARestart() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let registry = try await Self.registry(etcd)
            defer { registry.client.close() }
            let instances = try await Self.start(["i1", "i2", "i3"], etcd, registry: registry)
            let clients = try await GreeterClients(discovery: registry)
            defer { clients.close() }
            let first = (try await clients.viaHTTP(), try await clients.viaGRPC())
            #expect(first.0.hasPrefix("i") && first.1.hasPrefix("i"))

            // i3 stops while both transports are under load: it deregisters, then drains.
            let started = Started()
            async let http = load(3000, concurrency: 4) { started.value.add(1, ordering: .relaxed); return try await clients.viaHTTP() }
            async let grpc = load(3000, concurrency: 4) { started.value.add(1, ordering: .relaxed); return try await clients.viaGRPC() }
            try await eventually(within: .seconds(20), "load under way") { started.value.load(ordering: .relaxed) > 1500 }
            await instances[2].stop()
            let (httpResult, grpcResult) = await (http, grpc)
            for (transport, result) in [("HTTP", httpResult), ("gRPC", grpcResult)] {
                #expect(result.failures.isEmpty, "\(transport): \(result.failures.count) failed: \(result.failures.prefix(3))")
                #expect(result.total == 3000, "\(transport)")
                #expect(result.counts["i3", default: 0] > 0, "\(transport): i3 served before it stopped")
            }
            // Once the watch has delivered the change, i3 gets nothing.
            try await eventually(within: .seconds(2), "i3 gone from the registry") {
                try await registry.instances(of: "greeter").map(\.id).sorted() == ["i1", "i2"]
            }
            try await Task.sleep(for: .milliseconds(200))
            for (transport, call) in [("HTTP", clients.viaHTTP), ("gRPC", clients.viaGRPC)] {
                let after = await load(300) { try await call() }
                #expect(after.failures.isEmpty && Set(after.counts.keys) == ["i1", "i2"], "\(transport): \(after.counts) \(after.failures.prefix(2))")
            }

            // A new instance gets calls from the same clients.
            let fourth = try await GreeterInstance(id: "i4", version: "v2", etcdEndpoints: etcd.endpoints)
            for (transport, call) in [("HTTP", clients.viaHTTP), ("gRPC", clients.viaGRPC)] {
                try await eventually(within: .seconds(3), "\(transport) calls reach i4") {
                    await load(30) { try await call() }.counts["i4", default: 0] > 0
                }
            }
            // A version filter keeps calls to that version.
            let v2 = try await GreeterClients(discovery: registry, filters: [.version("v2")])
            for (transport, call) in [("HTTP", v2.viaHTTP), ("gRPC", v2.viaGRPC)] {
                let result = await load(100) { try await call() }
                #expect(result.counts == ["i4": 100], "\(transport): \(result.counts) \(result.failures.prefix(2))")
            }
            v2.close()
            for instance in [instances[0], instances[1], fourth] { await instance.stop() }
        }

        @Test func noInstanceIsNodeNotFoundOverBothTransports() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let registry = try await Self.registry(etcd)
            defer { registry.client.close() }
            let clients = try await GreeterClients(discovery: registry, service: "nobody")
            defer { clients.close() }
            for (transport, call) in [("HTTP", clients.viaHTTP), ("gRPC", clients.viaGRPC)] {
                let error = try await #require(throws: KratosError.self, "\(transport)") { try await call() }
                #expect(error.code == 503 && error.reason == "NODE_NOT_FOUND", "\(transport): \(error)")
                #expect(error.message.contains("nobody"), "\(transport): \(error.message)")
            }
            // A filter nothing passes says the same.
            let instances = try await Self.start(["i1"], etcd, registry: registry)
            let filtered = try await GreeterClients(discovery: registry, filters: [.version("v9")])
            for (transport, call) in [("HTTP", filtered.viaHTTP), ("gRPC", filtered.viaGRPC)] {
                let error = try await #require(throws: KratosError.self, "\(transport)") { try await call() }
                #expect(error.code == 503 && error.reason == "NODE_NOT_FOUND", "\(transport): \(error)")
            }
            filtered.close()
            for instance in instances { await instance.stop() }
        }
    }
}

private final class Started: Sendable {
    let value = Atomic<Int>(0)
}
