import Foundation
import Kratos
import KratosHTTP
import KratosTestSupport
import Logging
import ServiceLifecycle
import Synchronization
import Testing

/// A user's own ServiceLifecycle services run in the app's group, around the servers.
@Suite struct AppServicesTests {
    final class Events: Sendable {
        let list = Mutex<[String]>([])
        func append(_ event: String) { list.withLock { $0.append(event) } }
        var all: [String] { list.withLock { $0 } }
    }

    /// A data layer: up before the servers serve, down only after they have stopped.
    struct DataLayer: Service {
        let events: Events
        let endpoint: String

        func run() async throws {
            events.append("data up")
            try? await gracefulShutdown()
            // The server has stopped by now: nothing answers at its endpoint.
            let probe = try await runProcess("/usr/bin/curl", ["-sS", "--max-time", "2", endpoint + "/ping"])
            events.append(probe.status == 7 ? "data down after the server" : "data down while serving")
        }
    }

    struct Failing: Service {
        struct Broken: Error {}
        func run() async throws { throw Broken() }
    }

    func quiet() -> Logger {
        var logger = Logger(label: "test.app")
        logger.logLevel = .critical
        return logger
    }

    @Test func yourServicesStartBeforeAndStopAfterTheServers() async throws {
        let events = Events()
        let server = loopbackServer()
        try server.route(.GET, "/ping") { _ in
            events.append("request")
            return HTTPResponse(status: .ok)
        }
        let endpoint = try await server.bind()
        let app = KratosApp(.init(name: "svc", signals: []), servers: [server],
                            services: [DataLayer(events: events, endpoint: endpoint)], logger: quiet())
        let running = Task { try await app.run() }
        #expect(try await curl(endpoint + "/ping").status == 200)
        await app.stop()
        try await running.value
        #expect(events.all == ["data up", "request", "data down after the server"])
    }

    @Test func aFailingServiceStopsTheApp() async throws {
        let server = loopbackServer()
        let app = KratosApp(.init(name: "svc", signals: []), servers: [server], services: [Failing()], logger: quiet())
        await #expect(throws: Failing.Broken.self) {
            try await app.run()
        }
    }

    /// Servers bound by an app that never starts them (a hook fails) are stopped, not left
    /// listening with connections waiting in their backlog.
    @Test func anAppThatFailsToStartStopsItsServers() async throws {
        struct HookFailed: Error {}
        let server = loopbackServer()
        let endpoint = try await server.bind()
        var hooks = KratosApp.Hooks()
        hooks.beforeStart = [{ _ in throw HookFailed() }]
        let app = KratosApp(.init(name: "svc", signals: []), servers: [server], hooks: hooks, logger: quiet())
        await #expect(throws: HookFailed.self) {
            try await app.run()
        }
        let probe = try await runProcess("/usr/bin/curl", ["-sS", "--max-time", "2", endpoint + "/"])
        #expect(probe.status == 7, "nothing listens any more (curl exit 7), got \(probe.status)")
    }
}
