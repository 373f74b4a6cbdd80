import Foundation
import Kratos
import KratosEtcd
import KratosTestSupport
import Testing

extension EtcdTests {
    @Suite struct ConfigSource {
        @Test func changesReachWatchersAndADeletedKeyFallsBack() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints))
            defer { client.close() }
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-etcd-config-\(UUID().uuidString.prefix(8)).yaml")
            try "greeting: from-file\nserver:\n  port: 8000\n".write(to: file, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: file) }
            try await etcd.ctl("put", "/configs/app.yaml", "greeting: from-etcd\n")

            let source = try await EtcdConfigSource(client: client, key: "/configs/app.yaml")
            let config = Config(sources: [FileSource(file.path), source])
            try config.load()
            #expect(try config.string("greeting") == "from-etcd")
            #expect(try config.int("server.port") == 8000)
            let greetings = Recorder(config.changes(of: "greeting"))
            defer { greetings.stop() }
            let running = Task { try await config.run() }
            defer { running.cancel() }

            try await etcd.ctl("put", "/configs/app.yaml", "greeting: changed\n")
            let changed = try await eventually(within: .seconds(1), "the change reaches the watcher") {
                greetings.last == .some(.string("changed"))
            }
            #expect(changed < .seconds(1))
            #expect(try config.string("greeting") == "changed")

            // A malformed document keeps the last good configuration.
            try await etcd.ctl("put", "/configs/app.yaml", "greeting: [unclosed\n")
            try await Task.sleep(for: .milliseconds(300))
            #expect(try config.string("greeting") == "changed")

            try await etcd.ctl("del", "/configs/app.yaml")
            try await eventually(within: .seconds(1), "the file's value shows through") {
                greetings.last == .some(.string("from-file"))
            }
            #expect(try config.string("greeting") == "from-file")
        }

        @Test func readsEveryDocumentUnderAPrefixByExtension() async throws {
            let etcd = try await EtcdCluster()
            defer { etcd.stop() }
            let client = try await EtcdClient(.init(endpoints: etcd.endpoints))
            defer { client.close() }
            try await etcd.ctl("put", "/configs/a.json", #"{"server":{"port":9000},"name":"a"}"#)
            try await etcd.ctl("put", "/configs/b.yaml", "name: b\n")
            try await etcd.ctl("put", "/configs/notes.txt", "not configuration")

            let source = try await EtcdConfigSource(client: client, key: "/configs/", prefix: true)
            let tree = try source.load()
            #expect(tree["server.port"] == .int(9000))
            #expect(tree["name"] == .string("b"))
            #expect(tree["notes"] == nil)
        }
    }
}
