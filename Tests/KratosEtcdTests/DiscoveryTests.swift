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

        /// An instance registered as go-kratos writes it (`etcdctl put`, Go's JSON) is called
        /// through `discovery:///` over both transports.
        @Test func aGoKratosRegistrationIsCalled() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let registry = try await Self.registry(etcd)
            defer { registry.client.close() }
            let greeter = NamedGreeter(id: "go1")
            let http = loopbackServer()
            let grpc = KratosGRPCServer(.init(host: "127.0.0.1", port: 0, logger: quietLogger("test.grpc")))
            try greeter.register(on: http)
            try greeter.register(on: grpc)
            try await withServer(http) { httpEndpoint in
                try await withServer(grpc) { grpcEndpoint in
                    let goJSON = #"{"id":"go1","name":"greeter","version":"v1.2.0","metadata":{"weight":"100"},"endpoints":["\#(httpEndpoint)","\#(grpcEndpoint)"]}"#
                    try await etcd.ctl("put", "/microservices/greeter/go1", goJSON)
                    let clients = try await GreeterClients(discovery: registry, filters: [.version("v1.2.0")])
                    defer { clients.close() }
                    #expect(try await clients.viaHTTP() == "go1")
                    #expect(try await clients.viaGRPC() == "go1")
                }
            }
        }

        /// Three etcd members; the leader killed while both transports call through
        /// `discovery:///`: no call fails, and registration and discovery go on through the
        /// other two (an instance started after the kill gets calls).
        @Test func theLeaderKilledUnderLoadFailsNoCall() async throws {
            let etcd = try await EtcdCluster(size: 3)
            defer { etcd.stop() }
            let registry = try await Self.registry(etcd)
            defer { registry.client.close() }
            let instances = try await Self.start(["i1", "i2"], etcd, registry: registry)
            let clients = try await GreeterClients(discovery: registry)
            defer { clients.close() }
            let started = Started()
            async let http = load(3000, concurrency: 4) { started.value.add(1, ordering: .relaxed); return try await clients.viaHTTP() }
            async let grpc = load(3000, concurrency: 4) { started.value.add(1, ordering: .relaxed); return try await clients.viaGRPC() }
            try await eventually(within: .seconds(20), "load under way") { started.value.load(ordering: .relaxed) > 1000 }
            etcd.kill(try await etcd.leader())
            let third = try await GreeterInstance(id: "i3", etcdEndpoints: etcd.endpoints)
            let (httpResult, grpcResult) = await (http, grpc)
            for (transport, result) in [("HTTP", httpResult), ("gRPC", grpcResult)] {
                #expect(result.failures.isEmpty && result.total == 3000, "\(transport): \(result.failures.prefix(3))")
            }
            for (transport, call) in [("HTTP", clients.viaHTTP), ("gRPC", clients.viaGRPC)] {
                try await eventually(within: .seconds(5), "\(transport) calls reach i3, registered after the kill") {
                    await load(30) { try await call() }.counts["i3", default: 0] > 0
                }
            }
            for instance in instances + [third] { await instance.stop() }
        }

        /// The app registers once its servers answer, with both endpoints, and deregisters
        /// before they stop answering.
        @Test func theAppRegistersWhenServingAndDeregistersBeforeDraining() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let registry = try await Self.registry(etcd)
            defer { registry.client.close() }
            let checks = Checks()
            let instance = try await GreeterInstance(id: "a1", etcdEndpoints: etcd.endpoints) { CheckingRegistrar(inner: $0, checks: checks) }
            try await eventually(within: .seconds(5), "registered") { try await registry.instances(of: "greeter").count == 1 }
            let registered = try #require(try await registry.instances(of: "greeter").first)
            #expect(registered.endpoints.count == 2)
            #expect(registered.endpoints.first?.hasPrefix("http://127.0.0.1:") == true && registered.endpoints.last?.hasPrefix("grpc://127.0.0.1:") == true)
            await instance.stop()
            #expect(checks.all == ["register: both answer", "deregistered: both still answer"])
            #expect(try await etcd.ctl("get", "--prefix", "/microservices/") == "")
        }

        /// etcd unreachable at start: the app says so, its servers serve, and it registers once
        /// etcd answers.
        @Test func anUnreachableRegistryLeavesTheServersServingAndIsRetried() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            etcd.kill(0)
            let checks = Checks()
            let instance = try await GreeterInstance(id: "late", etcdEndpoints: etcd.endpoints, registrationTimeout: .seconds(1)) {
                CheckingRegistrar(inner: $0, checks: checks)
            }
            // Serving while etcd is down.
            let http = try await eventually(within: .seconds(5), "the instance serves") { checks.attempts > 0 }
            #expect(http < .seconds(5))
            let endpoints = try #require(checks.endpoints)
            #expect(try await answers(endpoints))
            try await etcd.restart(0, wipingData: false)
            let registry = try await Self.registry(etcd)
            defer { registry.client.close() }
            try await eventually(within: .seconds(10), "registered once etcd answers") {
                try await registry.instances(of: "greeter").map(\.id) == ["late"]
            }
            await instance.stop()
            #expect(try await etcd.ctl("get", "--prefix", "/microservices/") == "")
        }
    }
}

private final class Started: Sendable {
    let value = Atomic<Int>(0)
}

/// What ``CheckingRegistrar`` saw.
final class Checks: Sendable {
    private let state = Mutex<(log: [String], attempts: Int, endpoints: [String]?)>(([], 0, nil))
    var all: [String] { state.withLock { $0.log } }
    var attempts: Int { state.withLock { $0.attempts } }
    var endpoints: [String]? { state.withLock { $0.endpoints } }
    func add(_ line: String) { state.withLock { $0.log.append(line) } }
    func attempted(_ endpoints: [String]) { state.withLock { $0.attempts += 1; $0.endpoints = endpoints } }
}

/// Whether the greeter answers at each of `endpoints` (`http://…`, `grpc://…`).
func answers(_ endpoints: [String]) async throws -> Bool {
    for endpoint in endpoints {
        if endpoint.hasPrefix("http://") {
            let client = KratosHTTPClient(.init(endpoint: endpoint, timeout: .seconds(2)))
            guard (try? await Kratos_Test_V1_GreeterHTTPClient(client).sayHello(.with { $0.name = "x" })) != nil else { return false }
        } else {
            let ok = try await KratosGRPCClient.with(.init(endpoint: endpoint, timeout: .seconds(2), logger: quietLogger("test.client"))) { client in
                (try? await Kratos_Test_V1_GreeterGRPCClient(client).sayHello(.with { $0.name = "x" })) != nil
            }
            guard ok else { return false }
        }
    }
    return !endpoints.isEmpty
}

/// The real etcd registry, checking at each step that the instance's servers answer.
struct CheckingRegistrar: Registrar {
    let inner: EtcdRegistry
    let checks: Checks

    func register(_ instance: ServiceInstance) async throws {
        checks.attempted(instance.endpoints)
        if checks.all.isEmpty { checks.add(try await answers(instance.endpoints) ? "register: both answer" : "register: not serving") }
        try await inner.register(instance)
    }

    func deregister(_ instance: ServiceInstance) async throws {
        try await inner.deregister(instance)
        checks.add(try await answers(instance.endpoints) ? "deregistered: both still answer" : "deregistered: not serving")
    }
}
