import Logging
import Synchronization

/// What every transport server shares, so HTTP and gRPC do it one way: the middleware (for every
/// operation and selected by operation), registrations kept until the server binds, a bind that
/// runs once however often it is asked for, and the app served, captured when the server runs.
///
/// A transport server holds one and forwards to it; users never see it.
public final class ServerCore<Registration: Sendable>: Sendable {
    private struct State {
        var middleware: MiddlewareSet
        var registrations: [Registration] = []
        var binding: Task<String, any Error>?
        var endpoint: String?
        var app: AppInfo?
    }

    private let state: Mutex<State>
    private let logger: Logger

    /// - Parameters:
    ///   - middleware: for every operation, the first outermost.
    ///   - logger: where a change that comes too late to apply is reported.
    public init(middleware: [any Middleware], logger: Logger) {
        state = Mutex(State(middleware: MiddlewareSet(middleware)))
        self.logger = logger
    }

    /// Whether the server has bound: what it serves is fixed from then on.
    public var isBound: Bool { state.withLock { $0.binding != nil } }

    /// Reports `what`, added once the server has bound, as not applied; returns whether it is late.
    @discardableResult
    public func warnIfBound(_ what: String) -> Bool {
        guard isBound else { return false }
        logger.warning("added after the server bound; not applied", metadata: ["added": "\(what)"])
        return true
    }

    /// Adds middleware for every operation (before the server binds).
    public func use(_ middleware: [any Middleware]) {
        let late = state.withLock { state -> Bool in
            guard state.binding == nil else { return true }
            state.middleware.all.append(contentsOf: middleware)
            return false
        }
        if late { warnIfBound("middleware") }
    }

    /// Adds middleware for the operations `matchers` select (before the server binds).
    public func use(_ matchers: [OperationMatcher], _ middleware: [any Middleware]) {
        let late = state.withLock { state -> Bool in
            guard state.binding == nil else { return true }
            state.middleware.selected.append(SelectedMiddleware(matchers, middleware))
            return false
        }
        if late { warnIfBound("middleware for \(matchers)") }
    }

    /// Keeps a registration (a route, a method) for the bind.
    /// - Throws: 500 `REGISTERED_AFTER_BIND` once the server has bound: what it serves is fixed then.
    public func register(_ registration: Registration) throws {
        try state.withLock { state in
            guard state.binding == nil else {
                throw KratosError.internalServer("REGISTERED_AFTER_BIND", "routes and methods must be added before the server binds")
            }
            state.registrations.append(registration)
        }
    }

    /// Runs `listen` once with the registrations and the final middleware, and returns its
    /// endpoint; later calls (and concurrent ones) get the same endpoint or error.
    public func bind(
        _ listen: @escaping @Sendable (_ registrations: [Registration], _ middleware: MiddlewareSet) async throws -> String
    ) async throws -> String {
        let task = state.withLock { state in
            if let task = state.binding { return task }
            let (registrations, middleware) = (state.registrations, state.middleware)
            let task = Task { try await listen(registrations, middleware) }
            state.binding = task
            return task
        }
        let endpoint = try await task.value
        state.withLock { $0.endpoint = endpoint }
        return endpoint
    }

    /// Records the app running the current task (``AppInfo/current``) as the one served; called
    /// by the server's `run()` before it serves its first request.
    public func start() {
        let app = AppInfo.current
        state.withLock { $0.app = app }
    }

    /// The registrations and middleware so far: what an in-process test harness serves.
    package var registered: (registrations: [Registration], middleware: MiddlewareSet) {
        state.withLock { ($0.registrations, $0.middleware) }
    }

    /// The endpoint once bound (empty before) and the app once started.
    public var serving: (endpoint: String, app: AppInfo?) {
        state.withLock { ($0.endpoint ?? "", $0.app) }
    }
}
