import KratosTestSupport
import Logging
import Synchronization
import Testing
@testable import Kratos

/// What both transports share: bind once, and nothing added after it is silently half-applied.
@Suite struct ServerCoreTests {
    @Test func bindRunsOnceAndLateAdditionsAreRefusedOrReported() async throws {
        let capture = LogCapture()
        let core = ServerCore<String>(middleware: [Recovery()], logger: capture.logger)
        try core.register("/a")
        let binds = Mutex(0)
        let listen: @Sendable ([String], MiddlewareSet) async throws -> String = { registrations, middleware in
            binds.withLock { $0 += 1 }
            return "test://\(registrations.joined(separator: ","))/\(middleware.all.count)"
        }
        async let first = core.bind(listen)
        async let second = core.bind(listen)
        #expect(try await [first, second] == ["test:///a/1", "test:///a/1"])
        #expect(binds.withLock { $0 } == 1)
        #expect(core.serving.endpoint == "test:///a/1")

        #expect(throws: KratosError.self) { try core.register("/b") }
        core.use([Recovery()])
        core.use(["/x/*"], [Recovery()])
        #expect(core.registered.middleware.all.count == 1 && core.registered.middleware.selected.isEmpty)
        #expect(capture.records.filter { $0.level == .warning }.count == 2)
    }
}
