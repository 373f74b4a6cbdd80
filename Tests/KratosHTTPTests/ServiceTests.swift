import Foundation
import Kratos
import KratosHTTP
import KratosHTTPClient
import KratosTestSupport
import Logging
import NIOHTTP1
import Synchronization
import Testing

/// Several servers, the client, the app lifecycle, and middleware selection, over real sockets.
@Suite struct ServiceTests {
    /// A request to A carries global and local metadata; A calls B through KratosHTTPClient.
    /// B must see the global key and A's own outgoing key, but not the caller's local key.
    @Test func metadataPropagatesAcrossTwoServices() async throws {
        let serviceB = loopbackServer()
        try serviceB.route(.GET, "/b/metadata", operation: "/test.B/Metadata") { (_: HelloRequest, context) in
            HelloReply.with { $0.message = context.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: ";") }
        }
        try await withServer(serviceB) { endpointB in
            let client = KratosHTTPClient(.init(endpoint: endpointB))
            let serviceA = loopbackServer()
            try serviceA.route(.GET, "/a/call", operation: "/test.A/Call") { (_: HelloRequest, context) -> HelloReply in
                #expect(context.metadata["x-md-local-caller"] == "web")
                return try await Metadata.$outgoing.withValue(["x-md-local-hop": "a"]) {
                    try await client.invoke(.GET, "/b/metadata", operation: "/test.B/Metadata", as: HelloReply.self)
                }
            }
            try await withServer(serviceA) { endpointA in
                let reply = try await curl("-H", "X-Md-Global-Tenant: acme", "-H", "x-md-local-caller: web", "-H", "x-other: no",
                                           endpointA + "/a/call")
                #expect(reply.status == 200)
                #expect(try reply.json()["message"] as? String == "x-md-global-tenant=acme;x-md-local-hop=a")
            }
        }
    }

    @Test func clientDecodesErrorBodies() async throws {
        let server = loopbackServer()
        try server.route(.GET, "/missing/{id}", operation: "/test.B/Get") { (book: Book, _) -> Book in
            throw KratosError.notFound("BOOK_NOT_FOUND", "no \(book.id)").with(metadata: ["id": book.id])
        }
        try await withServer(server) { endpoint in
            let client = KratosHTTPClient(.init(endpoint: endpoint))
            await #expect {
                _ = try await client.invoke(.GET, "/missing/7", operation: "/test.B/Get", as: Book.self)
            } throws: { error in
                let kratos = error as? KratosError
                return kratos?.is(.notFound("BOOK_NOT_FOUND", "")) == true && kratos?.message == "no 7" && kratos?.metadata == ["id": "7"]
            }
        }
    }

    @Test func gracefulStopLosesNoRequestInFlight() async throws {
        let server = loopbackServer(timeout: .seconds(5))
        let started = Mutex(0)
        try server.route(.GET, "/work/{name}", operation: "/test.W/Work") { (request: HelloRequest, _) -> HelloReply in
            started.withLock { $0 += 1 }
            try await Task.sleep(for: .milliseconds(500))
            return HelloReply.with { $0.message = "done \(request.name)" }
        }
        let endpoint = try await server.bind()
        let running = Task { try await server.run() }
        let replies = try await withThrowingTaskGroup(of: CurlReply.self) { group in
            for index in 0..<8 {
                group.addTask { try await curl(endpoint + "/work/\(index)") }
            }
            while started.withLock({ $0 }) < 8 {
                try await Task.sleep(for: .milliseconds(10))
            }
            await server.shutdown()
            var replies: [CurlReply] = []
            for try await reply in group { replies.append(reply) }
            return replies
        }
        _ = await running.result
        #expect(replies.count == 8)
        #expect(replies.allSatisfy { $0.status == 200 })
        #expect(Set(replies.map(\.text)) == Set((0..<8).map { #"{"message":"done \#($0)"}"# }))
        // Nothing listens any more.
        let after = try await runProcess("/usr/bin/curl", ["-sS", "--max-time", "2", endpoint + "/work/late"])
        #expect(after.status == 7, "curl should find nothing listening (exit 7), got \(after.status)")
    }

    @Test func appRunsHooksInOrderAndExposesItsInfo() async throws {
        final class Events: Sendable {
            let list = Mutex<[String]>([])
            func append(_ event: String) { list.withLock { $0.append(event) } }
            func contains(_ event: String) -> Bool { list.withLock { $0.contains(event) } }
            var all: [String] { list.withLock { $0 } }
        }
        let events = Events()
        let server = loopbackServer()
        try server.route(.GET, "/whoami", operation: "/test.App/WhoAmI") { (_: HelloRequest, context) in
            HelloReply.with { $0.message = "\(context.app?.name ?? "-") \(context.app?.version ?? "-")" }
        }
        struct Recorder: Registrar {
            let events: Events
            func register(_ instance: ServiceInstance) async throws { events.append("register \(instance.endpoints.count)") }
            func deregister(_ instance: ServiceInstance) async throws { events.append("deregister") }
        }
        var hooks = KratosApp.Hooks()
        hooks.beforeStart = [{ _ in events.append("beforeStart") }]
        hooks.afterStart = [{ _ in events.append("afterStart") }]
        hooks.beforeStop = [{ _ in events.append("beforeStop") }]
        hooks.afterStop = [{ _ in events.append("afterStop") }]
        var logger = Logger(label: "test.app")
        logger.logLevel = .critical
        let app = KratosApp(.init(name: "greeter", version: "v1.2.3", signals: []), servers: [server],
                            registrar: Recorder(events: events), hooks: hooks, logger: logger)
        let running = Task { try await app.run() }
        let endpoint = try await server.bind()
        #expect(endpoint.hasPrefix("http://127.0.0.1:") && !endpoint.hasSuffix(":0"))
        while !events.contains("afterStart") {
            try await Task.sleep(for: .milliseconds(10))
        }
        let reply = try await curl(endpoint + "/whoami")
        #expect(try reply.json()["message"] as? String == "greeter v1.2.3")
        await app.stop()
        try await running.value
        #expect(events.all == ["beforeStart", "register 1", "afterStart", "beforeStop", "deregister", "afterStop"])
    }

    /// A connection opened between `bind()` and `run()` (it waits in the listen backlog) is served
    /// knowing its app, for every request of its life.
    @Test func aConnectionOpenedBeforeRunSeesTheApp() async throws {
        let server = loopbackServer()
        try server.route(.GET, "/whoami", operation: "/test.App/WhoAmI") { (_: HelloRequest, context) in
            HelloReply.with { $0.message = context.app?.name ?? "-" }
        }
        var logger = Logger(label: "test.app")
        logger.logLevel = .critical
        let app = KratosApp(.init(name: "early", signals: []), servers: [server], logger: logger)
        let endpoint = try await server.bind()
        let request = "GET /whoami HTTP/1.1\r\nHost: x\r\n\r\n"
        let text = try await RawConnection.with(endpoint) { connection in
            try await connection.send(request)
            // Time for a server that accepted at bind to answer without an app (the defect).
            try await Task.sleep(for: .milliseconds(100))
            let running = Task { try await app.run() }
            try await connection.read { $0.components(separatedBy: "}").count > 1 }
            try await connection.send(request)
            try await connection.read { $0.components(separatedBy: "}").count > 2 }
            await app.stop()
            try await running.value
            return connection.received
        }
        #expect(text.components(separatedBy: #"{"message":"early"}"#).count == 3, "\(text)")
    }

    @Test func middlewareIsSelectedByOperation() async throws {
        struct Tag: Middleware {
            let name: String
            func handle(_ request: any Sendable, context: RequestContext, next: Handler) async throws -> any Sendable {
                context.addReplyHeader("x-tag", name)
                return try await next(request, context)
            }
        }
        let server = loopbackServer()
        server.use(["/test.Greeter/*"], Tag(name: "greeter"))
        server.use(["/test.Greeter/SayHello"], Tag(name: "exact"))
        server.use(["/*"], Tag(name: "all"))
        try server.route(.GET, "/hello/{name}", operation: "/test.Greeter/SayHello") { (_: HelloRequest, _) in HelloReply() }
        try server.route(.GET, "/bye/{name}", operation: "/test.Greeter/SayBye") { (_: HelloRequest, _) in HelloReply() }
        try server.route(.GET, "/other", operation: "/test.Other/Get") { (_: HelloRequest, _) in HelloReply() }
        try await withServer(server) { endpoint in
            func tags(_ path: String) async throws -> [String] {
                let output = try await runProcess("/usr/bin/curl", ["-sS", "-D", "-", "-o", "/dev/null", endpoint + path])
                return String(decoding: output.stdout, as: UTF8.self).components(separatedBy: "\r\n")
                    .filter { $0.lowercased().hasPrefix("x-tag:") }.map { String($0.dropFirst(6)).trimmingCharacters(in: .whitespaces) }
            }
            let hello = try await tags("/hello/a"), bye = try await tags("/bye/a"), other = try await tags("/other")
            // go-kratos's matcher: the exact selector, else the longest prefix, else `/*`.
            #expect(hello == ["exact"])
            #expect(bye == ["greeter"])
            #expect(other == ["all"])
        }
    }

    @Test func filtersSeeEveryRequestAndGroupsPrefixRoutes() async throws {
        struct ServerHeader: HTTPFilter {
            func handle(_ request: HTTPRequest, next: HTTPHandler) async throws -> HTTPResponse {
                var response = try await next(request)
                response.headers.add(name: "x-filtered", value: request.method.rawValue)
                return response
            }
        }
        let server = loopbackServer()
        server.filter(ServerHeader())
        let v1 = server.group("/api").group("/v1")
        try v1.route(.GET, "/ping") { request in
            HTTPResponse(status: .ok, headers: ["content-type": "text/plain"], body: .init(string: "pong \(request.context.operation)"))
        }
        try await withServer(server) { endpoint in
            let pong = try await curl(endpoint + "/api/v1/ping")
            #expect(pong.status == 200 && pong.text == "pong /api/v1/ping")
            #expect(pong.headers["x-filtered"] == "GET")
            let missing = try await curl(endpoint + "/ping")
            #expect(missing.status == 404 && missing.headers["x-filtered"] == "GET")
        }
    }
}
