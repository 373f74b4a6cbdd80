import Foundation
import Logging
import Synchronization
import Testing
@testable import Kratos

@Suite struct ConfigTests {
    /// A temporary directory removed when the test ends.
    final class Directory {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-config-\(UUID().uuidString.prefix(8))")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
        func write(_ name: String, _ text: String) throws {
            try text.write(to: url.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        var path: String { url.path }
    }

    func config(_ sources: any ConfigSource...) throws -> Config {
        let config = Config(sources: sources)
        try config.load()
        return config
    }

    @Test func laterSourcesWinAndListsAreReplaced() throws {
        let base = StaticSource(.map([
            "server": .map(["addr": .string("0.0.0.0:8000"), "timeout": .string("1s")]),
            "peers": .array([.string("a"), .string("b"), .string("c")]),
        ]))
        let top = StaticSource(.map([
            "server": .map(["addr": .string("127.0.0.1:9000")]),
            "peers": .array([.string("z")]),
        ]))
        let config = try config(base, top)
        #expect(try config.string("server.addr") == "127.0.0.1:9000")
        #expect(try config.duration("server.timeout") == .seconds(1))
        #expect(try config.value("peers") == .array([.string("z")]))
    }

    @Test func directoryOfYAMLAndJSONInNameOrder() throws {
        let dir = try Directory()
        try dir.write("a.yaml", "server:\n  http:\n    addr: 0.0.0.0:8000\n    timeout: 1s\nlist: [1, 2]\n")
        try dir.write("b.json", #"{"server": {"http": {"addr": "127.0.0.1:8001"}}, "flag": true}"#)
        try dir.write(".hidden.yaml", "flag: false\n")
        try dir.write("notes.txt", "ignored")
        let config = try config(FileSource(dir.path))
        #expect(try config.string("server.http.addr") == "127.0.0.1:8001")
        #expect(try config.duration("server.http.timeout") == .seconds(1))
        #expect(try config.bool("flag"))
        #expect(try config.int("list.1") == 2)
    }

    @Test func placeholders() throws {
        let config = try config(StaticSource(.map([
            "host": .string("db.local"),
            "port": .int(5432),
            "dsn": .string("postgres://${host}:${port}/app"),
            "copy": .string("${port}"),
            "nested": .string("${dsn}?ssl=${ssl:off}"),
            "fallback": .string("${missing.key:42}"),
            "list": .array([.string("${host}")]),
        ])))
        #expect(try config.string("dsn") == "postgres://db.local:5432/app")
        #expect(try config.value("copy") == .int(5432))
        #expect(try config.string("nested") == "postgres://db.local:5432/app?ssl=off")
        #expect(try config.int("fallback") == 42)
        #expect(try config.string("list.0") == "db.local")
    }

    @Test func aMissingPlaceholderWithoutDefaultIsAnError() {
        let config = Config(sources: [StaticSource(.map(["dsn": .string("postgres://${db.host}/app")]))])
        #expect(throws: ConfigError.unresolvedPlaceholder(key: "db.host", at: "dsn")) { try config.load() }
        let cycle = Config(sources: [StaticSource(.map(["a": .string("${b}"), "b": .string("${a}")]))])
        #expect {
            try cycle.load()
        } throws: { "\($0)".contains("refers to itself") }
    }

    @Test func environmentMapping() throws {
        let env = EnvironmentSource(prefixes: ["APP_"], environment: [
            "APP_SERVER_HTTP_ADDR": ":8080", "APP_DEBUG": "true", "OTHER_X": "no", "APP_": "empty",
        ])
        let config = try config(StaticSource(.map(["server": .map(["http": .map(["timeout": .string("2s")])])])), env)
        #expect(try config.string("server.http.addr") == ":8080")
        #expect(try config.duration("server.http.timeout") == .seconds(2))
        #expect(try config.bool("debug"))
        #expect(throws: ConfigError.notFound(key: "x")) { try config.value("x") }
    }

    @Test(arguments: [("1s", 1_000_000_000), ("500ms", 500_000_000), ("1m30s", 90_000_000_000), ("1.5h", 5_400_000_000_000),
                      ("-2s", -2_000_000_000), ("250us", 250_000), ("3µs", 3_000), ("10ns", 10), ("0", 0)] as [(String, Int64)])
    func durations(text: String, nanoseconds: Int64) throws {
        #expect(try ConfigValue.string(text).duration() == .nanoseconds(nanoseconds))
    }

    @Test(arguments: ["", "1", "1x", "s", "1.2.3s", "ms5", "--1s"])
    func badDurations(text: String) {
        #expect(throws: ConfigError.self) { try ConfigValue.string(text).duration() }
    }

    struct Bootstrap: Decodable, Equatable {
        struct Server: Decodable, Equatable {
            struct HTTP: Decodable, Equatable {
                var addr: String
                var timeout: Duration
            }
            var http: HTTP
            var grpc: HTTP
        }
        struct Data: Decodable, Equatable {
            var maxConnections: Int
            var replicas: [String]
            var tls: Bool?
        }
        var server: Server
        var data: Data
    }

    @Test func decodesANestedDecodable() throws {
        let dir = try Directory()
        try dir.write("config.yaml", """
            server:
              http: {addr: "0.0.0.0:8000", timeout: 1s}
              grpc: {addr: "0.0.0.0:9000", timeout: 500ms}
            data:
              maxConnections: 10
              replicas: [r1, r2]
            """)
        let config = try config(FileSource(dir.path + "/config.yaml"))
        let bootstrap = try config.decode(Bootstrap.self)
        #expect(bootstrap == Bootstrap(
            server: .init(http: .init(addr: "0.0.0.0:8000", timeout: .seconds(1)), grpc: .init(addr: "0.0.0.0:9000", timeout: .milliseconds(500))),
            data: .init(maxConnections: 10, replicas: ["r1", "r2"], tls: nil)))
        #expect(try config.decode(Bootstrap.Server.HTTP.self, at: "server.grpc").timeout == .milliseconds(500))
        #expect {
            _ = try config.decode(Bootstrap.self, at: "server")
        } throws: { "\($0)".contains("config key \"server\" not found") }
    }

    @Test func environmentStringsDecodeAsNumbers() throws {
        struct Limits: Decodable { var max: Int; var ratio: Double; var on: Bool }
        let env = EnvironmentSource(prefixes: ["L_"], environment: ["L_MAX": "7", "L_RATIO": "0.5", "L_ON": "1"])
        let limits = try config(env).decode(Limits.self)
        #expect(limits.max == 7 && limits.ratio == 0.5 && limits.on)
    }

    @Test func confFlag() {
        #expect(ConfigFlag.path(in: ["svc", "-conf", "/etc/svc"]) == "/etc/svc")
        #expect(ConfigFlag.path(in: ["svc", "--conf=conf.d"]) == "conf.d")
        #expect(ConfigFlag.path(in: ["svc"]) == "./configs")
    }

    /// A file edited on disk reaches the watcher; a malformed edit keeps the last good snapshot.
    @Test func watchedFileReloadsAndSurvivesABadEdit() async throws {
        let dir = try Directory()
        try dir.write("config.yaml", "greeting: hello\nport: 1\n")
        final class Lines: Sendable { let lines = Mutex<[String]>([]) }
        let logged = Lines()
        let output = LogOutput { line in logged.lines.withLock { $0.append(line) } }
        let config = Config(sources: [FileSource(dir.path, pollInterval: .milliseconds(20))],
                            logger: Logger(label: "test") { _ in KratosLogHandler(output: output) })
        try config.load()
        let changes = config.changes(of: "greeting")
        let watching = Task { try await config.run() }
        defer { watching.cancel() }
        try await Task.sleep(for: .milliseconds(60))
        try dir.write("config.yaml", "greeting: bonjour\nport: 2\n")
        let seen = try await withThrowingTaskGroup(of: ConfigValue??.self) { group in
            group.addTask {
                var iterator = changes.makeAsyncIterator()
                return await iterator.next()
            }
            group.addTask {
                try await Task.sleep(for: .seconds(20))
                return nil
            }
            defer { group.cancelAll() }
            return try await group.next()!
        }
        #expect(seen == .some(.string("bonjour")), "the watcher saw no change within 20 s")
        #expect(try config.int("port") == 2)

        try dir.write("config.yaml", "greeting: [unclosed\n")
        try await Task.sleep(for: .milliseconds(200))
        #expect(try config.string("greeting") == "bonjour")
        #expect(config.reload(source: 0) == false)
        let errors = logged.lines.withLock { $0 }.filter { $0.hasPrefix("level=ERROR") }
        #expect(errors.contains { $0.contains("keeping the last good configuration") && $0.contains("config.yaml") })
    }

    /// Readers running during many reloads only ever see complete snapshots.
    @Test func readersNeverSeeAHalfAppliedReload() async throws {
        final class Box: Sendable {
            let generation = Mutex(0)
            let torn = Mutex(0)
        }
        struct Flipping: ConfigSource {
            let box: Box
            var name: String { "flipping" }
            func load() throws -> ConfigValue {
                let n = box.generation.withLock { $0 }
                return .map(["a": .int(Int64(n)), "b": .map(["c": .int(Int64(n))]), "list": .array(Array(repeating: .int(Int64(n)), count: 8))])
            }
            func changes() -> AsyncStream<Void> { AsyncStream { $0.finish() } }
        }
        let box = Box()
        let config = Config(sources: [Flipping(box: box)])
        try config.load()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<5_000 {
                        let snapshot = config.snapshot
                        let a = snapshot["a"], c = snapshot["b.c"], last = snapshot["list.7"]
                        if a != c || a != last { box.torn.withLock { $0 += 1 } }
                    }
                }
            }
            group.addTask {
                for n in 1...2_000 {
                    box.generation.withLock { $0 = n }
                    config.reload(source: 0)
                }
            }
        }
        #expect(box.torn.withLock { $0 } == 0)
        #expect(try config.int("a") == 2_000)
    }

    /// go-kratos config/value_test.go TestAtomicValue_String (float64(1) → "1") and Go's
    /// `fmt.Sprint` for floats: shortest digits, exponent form below 1e-4 and from 1e6.
    @Test(arguments: [(1.0, "1"), (8080.0, "8080"), (123123.1, "123123.1"), (123456.0, "123456"), (1e6, "1e+06"),
                      (1234567.0, "1.234567e+06"), (0.0001, "0.0001"), (0.00001, "1e-05"), (1e100, "1e+100"),
                      (0.9, "0.9"), (-2.5, "-2.5"), (1.5e-7, "1.5e-07"), (0.0, "0"), (.infinity, "+Inf"), (-.infinity, "-Inf"),
                      (.nan, "NaN")] as [(Double, String)])
    func floatsReadAsStringsAsGoPrintsThem(value: Double, text: String) throws {
        #expect(try ConfigValue.double(value).string() == text)
    }

    /// go-kratos config/env/env_test.go Test_env_load ("with prefixes") and TestEnvWithPrefix:
    /// KRATOS_SERVICE_NAME with prefix KRATOS_ is also the raw key SERVICE_NAME, so a config
    /// written for go-kratos with `${SERVICE_NAME}` resolves; our nested service.name stays.
    @Test func environmentRawKeysResolveGoKratosPlaceholders() throws {
        let env = EnvironmentSource(prefixes: ["KRATOS_", "FOO"], environment: [
            "KRATOS_SERVICE_NAME": "kratos_app", "FOOADDR": "192.168.0.1", "KRATOS_AGE": "20", "FOO": "foo", "FOO_": "foo_",
        ])
        let file = StaticSource(.map([
            "test": .map(["server": .map(["name": .string("${SERVICE_NAME}"), "addr": .string("${ADDR:127.0.0.1}"),
                                          "port": .string("${PORT:8080}")])]),
            "foo": .array([.map(["name": .string("Tom"), "age": .string("${AGE}")])]),
        ]))
        let config = try config(file, env)
        #expect(try config.string("test.server.name") == "kratos_app")
        #expect(try config.string("test.server.addr") == "192.168.0.1")
        #expect(try config.string("test.server.port") == "8080")
        #expect(try config.value("foo") == .array([.map(["name": .string("Tom"), "age": .string("20")])]))
        #expect(try config.string("service.name") == "kratos_app")
        #expect(throws: ConfigError.notFound(key: "FOO")) { try config.value("FOO") }
        // Without prefixes every variable is there under its own name (Test_env_load "without prefixes").
        let all = try self.config(EnvironmentSource(prefixes: [], environment: ["SERVICE_NAME": "kratos_app", "ADDR": "1"]))
        #expect(all.snapshot == .map(["SERVICE_NAME": .string("kratos_app"), "ADDR": .string("1")]))
    }

    /// The template's habit: `addr: ${HTTP_ADDR:0.0.0.0:8000}` takes the process environment's
    /// HTTP_ADDR when the files do not define it; a key the files define wins; still unresolved
    /// without a default is an error naming the key (Better than Go's silent "").
    @Test func placeholdersFallBackToTheEnvironmentThenTheDefault() throws {
        let file = StaticSource(.map(["server": .map(["addr": .string("${HTTP_ADDR:0.0.0.0:8000}"), "name": .string("${NAME}")]),
                                      "NAME": .string("from-files")]))
        let withVariable = Config(sources: [file], environment: ["HTTP_ADDR": "127.0.0.1:9999", "NAME": "from-env"])
        try withVariable.load()
        #expect(try withVariable.string("server.addr") == "127.0.0.1:9999")
        #expect(try withVariable.string("server.name") == "from-files")
        let without = Config(sources: [file])
        try without.load()
        #expect(try without.string("server.addr") == "0.0.0.0:8000")
        let missing = Config(sources: [StaticSource(.map(["a": .string("${NOPE}")]))], environment: ["OTHER": "x"])
        #expect(throws: ConfigError.unresolvedPlaceholder(key: "NOPE", at: "a")) { try missing.load() }
    }

    @Test func confFlagLoadsWithTheProcessEnvironmentForPlaceholders() throws {
        let dir = try Directory()
        try dir.write("config.yaml", "server:\n  addr: ${HTTP_ADDR:0.0.0.0:8000}\n")
        struct Server: Decodable { var addr: String }
        struct Boot: Decodable { var server: Server }
        let (_, boot) = try ConfigFlag.load(Boot.self, arguments: ["svc", "-conf", dir.path], environment: ["HTTP_ADDR": "127.0.0.1:1"])
        #expect(boot.server.addr == "127.0.0.1:1")
        let (_, fallback) = try ConfigFlag.load(Boot.self, arguments: ["svc", "-conf", dir.path], environment: [:])
        #expect(fallback.server.addr == "0.0.0.0:8000")
    }
}
