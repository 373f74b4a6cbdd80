import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import UnixSignals

/// A service process: its identity, its servers, your own services, and its lifecycle.
///
/// `run()` binds every server (so `:0` ports report real endpoints), runs `beforeStart`, starts the
/// servers, registers the instance (bounded by ``Configuration/registrarTimeout``; a registry
/// that cannot be reached is logged and retried in the background while the servers serve), runs
/// `afterStart`, and waits for a signal (SIGTERM, SIGQUIT, SIGINT by default) or ``stop()``. Then
/// `beforeStop`, deregistration (first, so clients stop picking the instance), a graceful stop of
/// the servers (requests in flight finish, within ``Configuration/stopTimeout``), and `afterStop`.
///
/// Your own ServiceLifecycle services (a data layer with connections to close, a config watcher,
/// an exporter) run in the same group, started in order before the servers and shut down
/// gracefully after them, in reverse order; one that fails or returns stops the app.
///
/// ```swift
/// let app = KratosApp(.init(name: "helloworld", version: "v1"), servers: [httpServer])
/// try await app.run()
/// ```
public final class KratosApp: Sendable {
    public struct Configuration: Sendable {
        public var id: String
        public var name: String
        public var version: String
        public var metadata: [String: String]
        /// Endpoints to register instead of the servers' own.
        public var endpoints: [String]?
        /// Signals that stop the app gracefully.
        public var signals: [UnixSignal]
        /// How long one attempt to register (or deregister) may take.
        public var registrarTimeout: Duration
        /// The longest pause between attempts to register while the registry is unreachable.
        public var registrarRetryDelay: Duration
        /// How long a graceful stop may take before servers are cancelled.
        public var stopTimeout: Duration?

        public init(
            id: String = UUID().uuidString.lowercased(),
            name: String,
            version: String = "",
            metadata: [String: String] = [:],
            endpoints: [String]? = nil,
            signals: [UnixSignal] = [.sigterm, .sigquit, .sigint],
            registrarTimeout: Duration = .seconds(10),
            registrarRetryDelay: Duration = .seconds(30),
            stopTimeout: Duration? = nil
        ) {
            self.registrarRetryDelay = registrarRetryDelay
            self.id = id
            self.name = name
            self.version = version
            self.metadata = metadata
            self.endpoints = endpoints
            self.signals = signals
            self.registrarTimeout = registrarTimeout
            self.stopTimeout = stopTimeout
        }
    }

    /// Code run at a point of the lifecycle.
    public typealias Hook = @Sendable (AppInfo) async throws -> Void

    /// The four lifecycle hooks.
    public struct Hooks: Sendable {
        public var beforeStart: [Hook] = []
        public var afterStart: [Hook] = []
        public var beforeStop: [Hook] = []
        public var afterStop: [Hook] = []
        public init() {}
    }

    public let configuration: Configuration
    public let servers: [any TransportServer]
    /// Services of your own, run around the servers.
    public let services: [any Service]
    public let registrar: (any Registrar)?
    public let hooks: Hooks
    public let logger: Logger
    private let state = Mutex<State>(.idle)

    private enum State {
        case idle
        case running(ServiceGroup)
        case stopRequested
    }

    /// - Parameter services: your own services, started in order before the servers and stopped
    ///   after them.
    public init(
        _ configuration: Configuration,
        servers: [any TransportServer],
        services: [any Service] = [],
        registrar: (any Registrar)? = nil,
        hooks: Hooks = Hooks(),
        logger: Logger = Logger(label: "kratos.app")
    ) {
        self.configuration = configuration
        self.servers = servers
        self.services = services
        self.registrar = registrar
        self.hooks = hooks
        self.logger = logger
    }

    /// Runs until a signal or ``stop()``; see the type's description for the order of events.
    public func run() async throws {
        var endpoints: [String] = []
        do {
            for server in servers {
                endpoints.append(try await server.bind())
            }
        } catch {
            await stopServers()
            throw error
        }
        let info = AppInfo(id: configuration.id, name: configuration.name, version: configuration.version,
                           metadata: configuration.metadata, endpoints: configuration.endpoints ?? endpoints)
        try await AppInfo.$current.withValue(info) {
            do {
                for hook in hooks.beforeStart { try await hook(info) }
            } catch {
                // Bound servers serve nothing before they run: stop them, or their listeners stay.
                await stopServers()
                throw error
            }
            var groupConfiguration = ServiceGroupConfiguration(
                services: services.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0, successTerminationBehavior: .gracefullyShutdownGroup) }
                    + servers.map { ServiceGroupConfiguration.ServiceConfiguration(service: $0) }
                    + [.init(service: Lifecycle(app: self, info: info), successTerminationBehavior: .gracefullyShutdownGroup)],
                gracefulShutdownSignals: configuration.signals,
                logger: logger
            )
            groupConfiguration.maximumGracefulShutdownDuration = configuration.stopTimeout
            let group = ServiceGroup(configuration: groupConfiguration)
            let stopEarly = state.withLock { state -> Bool in
                if case .stopRequested = state { return true }
                state = .running(group)
                return false
            }
            if stopEarly {
                await stopServers()
                return
            }
            logger.info("app started", metadata: ["app.name": "\(info.name)", "app.id": "\(info.id)",
                                                   "endpoints": "\(info.endpoints.joined(separator: ","))"])
            try await group.run()
            state.withLock { $0 = .idle }
            for hook in hooks.afterStop { try await hook(info) }
        }
    }

    /// Stops servers that were bound but will not run (a failure, or a stop before the start).
    private func stopServers() async {
        for server in servers { await server.shutdown() }
    }

    /// Stops the app gracefully, as a signal would.
    public func stop() async {
        let group = state.withLock { state -> ServiceGroup? in
            if case .running(let group) = state { return group }
            state = .stopRequested
            return nil
        }
        await group?.triggerGracefulShutdown()
    }

    /// Registration and the start/stop hooks, run as the last service of the group: it starts
    /// after the servers and is the first to hear of a shutdown.
    private struct Lifecycle: Service {
        let app: KratosApp
        let info: AppInfo

        var instance: ServiceInstance {
            ServiceInstance(id: info.id, name: info.name, version: info.version, metadata: info.metadata, endpoints: info.endpoints)
        }

        func run() async throws {
            // Registration that fails (the registry unreachable) does not stop the app: its
            // servers serve, and registering is retried in the background until it works.
            var retrying: Task<Void, Never>?
            if let registrar = app.registrar, !(await register(registrar, attempt: 1)) {
                retrying = Task { await keepRegistering(registrar) }
            }
            for hook in app.hooks.afterStart { try await hook(info) }
            try? await gracefulShutdown()
            for hook in app.hooks.beforeStop { try await hook(info) }
            if let retrying {
                retrying.cancel()
                await retrying.value
            }
            if let registrar = app.registrar {
                do {
                    try await Deadline.run(within: app.configuration.registrarTimeout) { try await registrar.deregister(instance) }
                } catch {
                    app.logger.error("deregister failed", metadata: ["error": "\(error)"])
                }
            }
        }

        /// One attempt within ``Configuration/registrarTimeout``; whether it worked.
        private func register(_ registrar: any Registrar, attempt: Int) async -> Bool {
            do {
                try await Deadline.run(within: app.configuration.registrarTimeout) { try await registrar.register(instance) }
                if attempt > 1 { app.logger.info("registered", metadata: ["app.id": "\(info.id)", "attempt": "\(attempt)"]) }
                return true
            } catch {
                if Task.isCancelled { return false }
                let level: Logger.Level = attempt == 1 ? .error : .debug
                app.logger.log(level: level, "registering the instance failed; the servers serve, and registering is retried",
                               metadata: ["app.id": "\(info.id)", "attempt": "\(attempt)", "error": "\(error)"])
                return false
            }
        }

        /// Retries with backoff (1 s doubling up to ``Configuration/registrarRetryDelay``) until
        /// registered or cancelled.
        private func keepRegistering(_ registrar: any Registrar) async {
            var delay = Duration.seconds(1)
            var attempt = 1
            while !Task.isCancelled {
                try? await Task.sleep(for: delay)
                attempt += 1
                if Task.isCancelled { return }
                if await register(registrar, attempt: attempt) { return }
                delay = min(delay * 2, app.configuration.registrarRetryDelay)
            }
        }
    }
}
