import Foundation
import Kratos
import KratosEtcd
import KratosGRPC
import KratosHTTP
import KratosHTTPClient
import KratosTestSupport
import Logging
import Synchronization

typealias HelloRequest = Kratos_Test_V1_HelloRequest
typealias HelloReply = Kratos_Test_V1_HelloReply

/// A greeter that answers with its instance's id, slowed when asked.
struct NamedGreeter: Kratos_Test_V1_GreeterService {
    final class Delay: Sendable {
        let value = Mutex<Duration>(.zero)
    }

    let id: String
    let delay = Delay()

    func sayHello(_ request: HelloRequest, context: RequestContext) async throws -> HelloReply {
        let delay = delay.value.withLock { $0 }
        if delay > .zero { try await Task.sleep(for: delay) }
        return .with { $0.message = id }
    }

    func spell(_ request: HelloRequest, writer: MessageWriter<HelloReply>, context: RequestContext) async throws {
        try await writer.write(.with { $0.message = id })
    }

    func gather(_ requests: MessageStream<HelloRequest>, context: RequestContext) async throws -> HelloReply {
        for try await _ in requests {}
        return .with { $0.message = id }
    }

    func chat(_ requests: MessageStream<HelloRequest>, writer: MessageWriter<HelloReply>, context: RequestContext) async throws {
        for try await _ in requests { try await writer.write(.with { $0.message = id }) }
    }
}

func quietLogger(_ label: String) -> Logger {
    var logger = Logger(label: label)
    logger.logLevel = .critical
    return logger
}

/// One instance of the `greeter` service: an app with an HTTP and a gRPC server on loopback
/// ports, registered in etcd through a client of its own.
final class GreeterInstance: Sendable {
    let id: String
    let app: KratosApp
    let greeter: NamedGreeter
    let etcd: EtcdClient
    private let running: Task<Void, any Error>

    init(id: String, version: String = "v1", etcdEndpoints: [String], ttl: Duration = .seconds(5),
         registrationTimeout: Duration = .seconds(10), registrar: ((EtcdRegistry) -> any Registrar)? = nil) async throws {
        self.id = id
        greeter = NamedGreeter(id: id)
        let http = loopbackServer()
        let grpc = KratosGRPCServer(.init(host: "127.0.0.1", port: 0, logger: quietLogger("test.grpc")))
        try greeter.register(on: http)
        try greeter.register(on: grpc)
        etcd = try await EtcdClient(.init(endpoints: etcdEndpoints, requestTimeout: .seconds(1)))
        let registry = EtcdRegistry(client: etcd, configuration: .init(ttl: ttl), logger: quietLogger("test.registry"))
        app = KratosApp(.init(id: id, name: "greeter", version: version, signals: [], registrarTimeout: registrationTimeout,
                              registrarRetryDelay: .seconds(1)), servers: [http, grpc],
                        registrar: registrar?(registry) ?? registry, logger: quietLogger("test.app"))
        running = Task { [app] in try await app.run() }
    }

    func slow(_ delay: Duration) {
        greeter.delay.value.withLock { $0 = delay }
    }

    /// Stops the app (deregistration first, then the servers drain) and waits until it has.
    func stop() async {
        await app.stop()
        _ = await running.result
        etcd.close()
    }
}

/// What a run of calls did: calls answered per instance, and the failures.
struct LoadResult: Sendable {
    var counts: [String: Int] = [:]
    var failures: [String] = []
    var total: Int { counts.values.reduce(0, +) }
}

/// Makes `count` calls, `concurrency` at a time; `call` returns the answering instance's id.
func load(_ count: Int, concurrency: Int = 8, _ call: @escaping @Sendable () async throws -> String) async -> LoadResult {
    final class Next: Sendable {
        let value = Atomic<Int>(0)
    }
    let next = Next()
    return await withTaskGroup(of: LoadResult.self) { group in
        for _ in 0..<concurrency {
            group.addTask {
                var result = LoadResult()
                while next.value.add(1, ordering: .relaxed).oldValue < count {
                    do {
                        result.counts[try await call(), default: 0] += 1
                    } catch {
                        result.failures.append("\(error)")
                    }
                }
                return result
            }
        }
        var total = LoadResult()
        for await part in group {
            total.counts.merge(part.counts, uniquingKeysWith: +)
            total.failures += part.failures
        }
        return total
    }
}

/// The two transports' clients of `discovery:///greeter`, as one call each.
struct GreeterClients: Sendable {
    let http: KratosHTTPClient
    let grpc: KratosGRPCClient

    init(discovery: any Discovery, balancer: @autoclosure () -> any Balancer = WeightedRoundRobin(), filters: [NodeFilter] = [],
         service: String = "greeter") async throws {
        http = KratosHTTPClient(.init(endpoint: "discovery:///\(service)", timeout: .seconds(5), discovery: discovery,
                                      balancer: balancer(), filters: filters))
        grpc = try await KratosGRPCClient(.init(endpoint: "discovery:///\(service)", timeout: .seconds(5), discovery: discovery,
                                                balancer: balancer(), filters: filters, logger: quietLogger("test.client")))
    }

    func viaHTTP() async throws -> String {
        try await Kratos_Test_V1_GreeterHTTPClient(http).sayHello(.with { $0.name = "x" }).message
    }

    func viaGRPC() async throws -> String {
        try await Kratos_Test_V1_GreeterGRPCClient(grpc).sayHello(.with { $0.name = "x" }).message
    }

    func close() {
        grpc.close()
    }
}
