import Kratos

extension KratosApp {
    /// Runs the app for real, for the tests where the wire matters: every server binds (port 0
    /// picks a free one), `body` gets the endpoints once they all listen, in the order of
    /// ``servers``, and the app then stops gracefully. Binding is the readiness signal:
    /// connections made right away wait in the listen backlog until the servers serve. When the
    /// app fails to start (a hook throws), that error is thrown rather than the body's.
    ///
    /// ```swift
    /// try await app.test { endpoints in
    ///     let (body, _) = try await URLSession.shared.data(from: URL(string: endpoints[0] + "/helloworld/kratos")!)
    /// }
    /// ```
    public func test<Result: Sendable>(_ body: ([String]) async throws -> Result) async throws -> Result {
        let running = Task { try await run() }
        do {
            var endpoints: [String] = []
            for server in servers { endpoints.append(try await server.bind()) }
            let result = try await body(endpoints)
            await stop()
            try await running.value
            return result
        } catch {
            await stop()
            if case .failure(let startFailure) = await running.result { throw startFailure }
            throw error
        }
    }
}
