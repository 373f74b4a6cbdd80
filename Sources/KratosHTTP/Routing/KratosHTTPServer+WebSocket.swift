import Kratos
import NIOHTTP1
import SwiftProtobuf

extension KratosHTTPServer {
    /// Registers a client-streaming route served over WebSocket, as generated code does for a
    /// client-streaming RPC with a `google.api.http` rule. The client opens the WebSocket with a
    /// `GET` handshake, sends one message per frame (text frames protojson, binary frames binary
    /// protobuf) and ends with an empty text frame; the server then writes the handler's reply
    /// as one message (a frame of the type of the last message read) and closes with 1000.
    ///
    /// The middleware runs once around the stream, as on `KratosGRPCServer` (it sees a
    /// ``StreamingRequest`` and a ``StreamingReply``). An error the handler or a middleware
    /// throws closes the connection with 4000 + its code and the Kratos error body as the reason
    /// (see the README's close-code table). The stream is exempt from the server's timeout; when
    /// the client goes away or the server stops, the handler is cancelled. Path variables are
    /// bound into every message. Limits: ``Configuration/webSocket``.
    ///
    /// ```swift
    /// try server.clientStreaming(.GET, "/v1/points/record", operation: "/demo.v1.Route/Record") {
    ///     (points: MessageStream<Point>, context) in
    ///     var count: Int32 = 0
    ///     for try await _ in points { count += 1 }
    ///     return Summary.with { $0.count = count }
    /// }
    /// ```
    public func clientStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod,
        _ path: String,
        operation: String,
        _ handler: @escaping @Sendable (MessageStream<Input>, RequestContext) async throws -> Output
    ) throws {
        try webSocketRoute(method, path, operation: operation, replies: true, Input.self, Output.self) { streams, context in
            StreamingReply(message: try await handler(streams.requests, context))
        }
    }

    /// Registers a bidirectional-streaming route served over WebSocket, as generated code does
    /// for a bidirectional RPC with a `google.api.http` rule: messages flow both ways at once,
    /// one per frame, until the handler returns (close 1000) or throws (4000 + its code). The
    /// client ends its side with an empty text frame and keeps reading; replies are frames of
    /// the type of the last message the handler read (text before any). `writer.write` waits
    /// while the client reads slower than the handler writes. Otherwise as
    /// ``clientStreaming(_:_:operation:_:)``.
    ///
    /// ```swift
    /// try server.bidiStreaming(.GET, "/v1/chat", operation: "/demo.v1.Chat/Talk") {
    ///     (lines: MessageStream<Line>, writer: MessageWriter<Line>, context) in
    ///     for try await line in lines { try await writer.write(line) }
    /// }
    /// ```
    public func bidiStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod,
        _ path: String,
        operation: String,
        _ handler: @escaping @Sendable (MessageStream<Input>, MessageWriter<Output>, RequestContext) async throws -> Void
    ) throws {
        try webSocketRoute(method, path, operation: operation, replies: false, Input.self, Output.self) { streams, context in
            try await handler(streams.requests, streams.writer, context)
            return StreamingReply(message: nil)
        }
    }

    private func webSocketRoute<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod, _ path: String, operation: String, replies: Bool, _: Input.Type, _: Output.Type,
        _ body: @escaping @Sendable (WebSocketExchange.Streams<Input, Output>, RequestContext) async throws -> StreamingReply
    ) throws {
        let template = try PathTemplate(configuration.pathPrefix + path)
        let variables = MessageBinding.Prepared<Input>(keys: template.variables)
        let options = configuration.webSocket
        var route = PendingRoute(method: method, template: template, operation: operation) { chain in
            { request in
                await WebSocketExchange.respond(to: request, variables: variables, options: options, replies: replies,
                                                as: Output.self, through: chain)
            }
        } inner: { request, context in
            let streaming = try context.typed(request, as: StreamingRequest.self)
            let streams = try context.typed(streaming.message as any Sendable, as: WebSocketExchange.Streams<Input, Output>.self)
            do {
                return try await body(streams, context)
            } catch is CancellationError where Task.isCancelled {
                // As for Server-Sent Events: middleware sees 499, not a failure of the handler.
                throw KratosError.clientClosed("CANCELLED", "the stream was cancelled")
            }
        }
        route.streams = true
        route.upgrades = true
        try core.register(route)
    }
}

extension RouteGroup {
    /// A client-streaming WebSocket route under the group's prefix (see ``KratosHTTPServer/clientStreaming(_:_:operation:_:)``).
    public func clientStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod, _ path: String, operation: String,
        _ handler: @escaping @Sendable (MessageStream<Input>, RequestContext) async throws -> Output
    ) throws {
        try server.clientStreaming(method, prefix + path, operation: operation, handler)
    }

    /// A bidirectional-streaming WebSocket route under the group's prefix (see ``KratosHTTPServer/bidiStreaming(_:_:operation:_:)``).
    public func bidiStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod, _ path: String, operation: String,
        _ handler: @escaping @Sendable (MessageStream<Input>, MessageWriter<Output>, RequestContext) async throws -> Void
    ) throws {
        try server.bidiStreaming(method, prefix + path, operation: operation, handler)
    }
}
