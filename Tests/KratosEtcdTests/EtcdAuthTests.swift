import Foundation
import Kratos
import KratosEtcd
import KratosTestSupport
import KratosTLS
import NIOSSL
import Testing

extension EtcdTests {
    @Suite struct Auth {
        /// etcd with auth on: `root`, and `alice` allowed under `/app/` and `/microservices/`;
        /// tokens expire after 1 s unused.
        static func securedEtcd() async throws -> EtcdCluster {
            let etcd = try await EtcdCluster(extraFlags: ["--auth-token-ttl", "1"])
            try await etcd.ctl("user", "add", "root:rootpw")
            try await etcd.ctl("user", "add", "alice:secret")
            try await etcd.ctl("role", "add", "app")
            try await etcd.ctl("role", "grant-permission", "app", "--prefix=true", "readwrite", "/app/")
            try await etcd.ctl("user", "grant-role", "alice", "app")
            try await etcd.ctl("auth", "enable")
            return etcd
        }

        @Test func authenticatesAndAuthenticatesAgainWhenTheTokenExpires() async throws {
            let etcd = try await Self.securedEtcd()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints, username: "alice", password: "secret"))
            defer { client.close() }

            try await client.put("/app/greeting", "hello")
            #expect(try await client.get("/app/greeting")?.valueString == "hello")
            let watch = Recorder(client.watch("/app/", prefix: true))
            defer { watch.stop() }
            try await eventually(within: .seconds(2), "the watch is created") { watch.all.contains { $0.isCreated } }

            // The token expires unused; the next call authenticates again by itself.
            try await Task.sleep(for: .seconds(2.5))
            try await client.put("/app/greeting", "again")
            #expect(try await client.get("/app/greeting")?.valueString == "again")
            try await eventually(within: .seconds(2), "the watch saw the put") {
                watch.all.flatMap(\.events).contains { $0.keyValue.valueString == "again" }
            }
            // Outside alice's role: refused, not retried forever.
            await #expect(throws: KratosError.self) { try await client.put("/secret", "x") }
            await #expect(throws: EtcdError.permissionDenied("/secret/")) {
                for try await _ in client.watch("/secret/", prefix: true) {}
            }
        }

        @Test func refusesWrongCredentialsAndAnonymousCalls() async throws {
            let etcd = try await Self.securedEtcd()
            defer { etcd.stop() }
            let wrong = try await EtcdClient(.init(endpoints: etcd.endpoints, username: "alice", password: "wrong"))
            defer { wrong.close() }
            await #expect {
                try await wrong.get("/app/greeting")
            } throws: { error in
                guard case .authenticationFailed(let message) = error as? EtcdError else { return false }
                return message.contains("authentication failed")
            }
            let anonymous = try await EtcdClient(.init(endpoints: etcd.endpoints))
            defer { anonymous.close() }
            await #expect(throws: KratosError.self) { try await anonymous.get("/app/greeting") }
        }
    }
}

extension EtcdTests {
    /// etcd serving its clients over TLS: the client trusts its CA and works as in the clear;
    /// one that does not trust it is refused.
    @Suite struct OverTLS {
        @Test func talksToEtcdOverTLS() async throws {
            let certificates = try await TestCertificates()
            defer { certificates.remove() }
            let etcd = try await EtcdCluster(tls: certificates)
            defer { etcd.stop() }
            var trusted = TLSConfiguration.makeClientConfiguration()
            trusted.trustRoots = .file(certificates.caCertificate)
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints.map { "https://\($0)" }, security: try ClientTLS(trusted)))
            defer { client.close() }
            try await client.put("/tls/key", "over tls")
            #expect(try await etcd.ctl("get", "/tls/key", "--print-value-only") == "over tls\n")
            let registry = EtcdRegistry(client: client)
            let instance = ServiceInstance(id: "t1", name: "secure", version: "v1", endpoints: ["grpcs://127.0.0.1:9443"])
            try await registry.register(instance)
            #expect(try await registry.instances(of: "secure") == [instance])
            try await registry.deregister(instance)

            let untrusted = try await EtcdClient(.init(endpoints: etcd.endpoints, requestTimeout: .seconds(2), retries: 0,
                                                       security: try ClientTLS(.makeClientConfiguration())))
            defer { untrusted.close() }
            await #expect(throws: (any Error).self) { try await untrusted.put("/tls/other", "x") }
            // An https:// member without security is a configuration error, not a silent downgrade.
            await #expect(throws: EtcdError.self) { _ = try await EtcdClient(.init(endpoints: etcd.endpoints.map { "https://\($0)" })) }
        }
    }
}
