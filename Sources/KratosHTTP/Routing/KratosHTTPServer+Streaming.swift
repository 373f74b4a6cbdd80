import Kratos
import NIOHTTP1
import SwiftProtobuf

extension KratosHTTPServer {
    /// Registers a server-streaming route, as generated code does for a server-streaming RPC with
    /// a `google.api.http` rule: binds the request into `Input` as ``route(_:_:operation:body:responseBody:_:)``
    /// does, then answers with Server-Sent Events (`text/event-stream`), one protojson message per
    /// `data:` event as the handler writes it. An error the handler or a middleware throws ends
    /// the stream with a final `event: error` carrying the Kratos error body.
    ///
    /// The middleware runs once around the whole stream, as on `KratosGRPCServer`: it sees a
    /// ``StreamingRequest`` and a ``StreamingReply``. The stream is exempt from the server's
    /// timeout; it ends when the handler returns, the client goes away or the server stops (the
    /// handler is cancelled then). Writes wait while the client reads slower than the handler
    /// writes.
    ///
    /// ```swift
    /// try server.serverStreaming(.GET, "/v1/ticks/{name}", operation: "/demo.v1.Clock/Ticks") {
    ///     (request: TickRequest, writer: MessageWriter<Tick>, context) in
    ///     for n in 1...3 { try await writer.write(.with { $0.count = Int32(n) }) }
    /// }
    /// ```
    public func serverStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod,
        _ path: String,
        operation: String,
        body: BodyBinding<Input> = .none,
        _ handler: @escaping @Sendable (Input, MessageWriter<Output>, RequestContext) async throws -> Void
    ) throws {
        let template = try PathTemplate(configuration.pathPrefix + path)
        let binding = TypedRoute<Input, Output>(body: body, variables: .init(keys: template.variables), responseBody: nil)
        var route = PendingRoute(method: method, template: template, operation: operation) { chain in
            { request in
                try await ServerSentEvents.respond(to: request, with: binding.bind(request), as: Output.self, through: chain)
            }
        } inner: { request, context in
            let streaming = try context.typed(request, as: StreamingRequest.self)
            let exchange = try context.typed(streaming.message as any Sendable, as: ServerSentEvents.Exchange<Input, Output>.self)
            do {
                try await handler(exchange.message, exchange.writer, context)
            } catch is CancellationError where Task.isCancelled {
                // The client went away or the server is stopping: middleware (logging, metrics,
                // recovery) sees 499, as a cancelled gRPC call, not a failure of the handler.
                throw KratosError.clientClosed("CANCELLED", "the stream was cancelled")
            }
            return StreamingReply(message: nil)
        }
        route.streams = true
        try core.register(route)
    }
}

extension RouteGroup {
    /// A server-streaming route under the group's prefix (see ``KratosHTTPServer/serverStreaming(_:_:operation:body:_:)``).
    public func serverStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod, _ path: String, operation: String, body: BodyBinding<Input> = .none,
        _ handler: @escaping @Sendable (Input, MessageWriter<Output>, RequestContext) async throws -> Void
    ) throws {
        try server.serverStreaming(method, prefix + path, operation: operation, body: body, handler)
    }
}
