/// Who is serving: the running app's identity, reachable from every request's context.
public struct AppInfo: Sendable, Equatable {
    public var id: String
    public var name: String
    public var version: String
    public var metadata: [String: String]
    /// The servers' endpoints, known once their listeners are bound.
    public var endpoints: [String]

    public init(id: String, name: String, version: String, metadata: [String: String] = [:], endpoints: [String] = []) {
        self.id = id
        self.name = name
        self.version = version
        self.metadata = metadata
        self.endpoints = endpoints
    }

    /// The app running the current task (set by ``KratosApp`` for everything it starts).
    @TaskLocal public static var current: AppInfo?
}
