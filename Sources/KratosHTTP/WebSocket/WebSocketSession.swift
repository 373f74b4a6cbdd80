import NIOCore

/// The route's side of one upgraded WebSocket connection, usable from any task: the next client
/// message, writing one, closing. Each call hops to the connection's event loop (or runs there
/// directly, as handlers start on it) and is answered by its ``WebSocketChannelHandler``.
///
/// A task cancelled while it waits stops waiting (`CancellationError`).
final class WebSocketSession: Sendable {
    private let loop: any EventLoop
    private let handler: NIOLoopBound<WebSocketChannelHandler>

    /// Made on the connection's event loop, by the upgrade.
    init(handler: WebSocketChannelHandler, eventLoop: any EventLoop) {
        loop = eventLoop
        self.handler = NIOLoopBound(handler, eventLoop: eventLoop)
    }

    /// The next message from the client; nil after its end marker.
    /// - Throws: `CancellationError` when the connection is gone or closing; 400
    ///   `WEBSOCKET_PROTOCOL` after a protocol error.
    func next() async throws -> WebSocketInbound.Message? {
        try await onLoop { $0.receive() }
    }

    /// Writes one message (a binary frame or a text frame); returns once the connection can take
    /// more, so a slow reader holds the writer back.
    func send(_ bytes: ByteBuffer, binary: Bool) async throws {
        try await onLoop { $0.send(bytes, binary: binary) }
    }

    /// Starts the closing handshake with `code` and `reason` (at most 123 bytes); later calls,
    /// and calls once the connection is gone, do nothing.
    func close(code: UInt16, reason: [UInt8] = []) {
        let handler = self.handler
        if loop.inEventLoop {
            handler.value.close(code: code, reason: reason)
        } else {
            loop.execute { handler.value.close(code: code, reason: reason) }
        }
    }

    private func onLoop<T: Sendable>(_ body: @escaping @Sendable (WebSocketChannelHandler) -> EventLoopFuture<T>) async throws -> T {
        try Task.checkCancellation()
        let (loop, handler) = (self.loop, self.handler)
        let future = loop.inEventLoop ? body(handler.value) : loop.flatSubmit { body(handler.value) }
        return try await withTaskCancellationHandler {
            try await future.get()
        } onCancel: {
            loop.execute { handler.value.cancelWaiters() }
        }
    }
}

/// The connection side of a WebSocket route's request, held by the route until it accepts: the
/// accept writes the `101 Switching Protocols` reply and swaps the connection's pipeline from
/// HTTP/1.1 to WebSocket frames (see HTTPChannelHandler+WebSocket).
final class WebSocketUpgrade: Sendable {
    /// The request, as the connection numbers them.
    private let id: UInt64
    private let loop: any EventLoop
    private let handler: NIOLoopBound<HTTPChannelHandler>
    private let context: NIOLoopBound<ChannelHandlerContext>

    /// Made on the connection's event loop, by the connection's handler.
    init(id: UInt64, handler: HTTPChannelHandler, context: ChannelHandlerContext) {
        self.id = id
        loop = context.eventLoop
        self.handler = NIOLoopBound(handler, eventLoop: context.eventLoop)
        self.context = NIOLoopBound(context, eventLoop: context.eventLoop)
    }

    /// Answers the handshake with `accept` as `Sec-WebSocket-Accept` and returns the session.
    /// - Throws: `CancellationError` when the request is no longer answered here.
    func accept(_ accept: String, options: KratosHTTPServer.WebSocketOptions) async throws -> WebSocketSession {
        let (id, loop, handler, context) = (self.id, self.loop, self.handler, self.context)
        let upgraded = loop.inEventLoop
            ? handler.value.upgradeToWebSocket(id: id, accept: accept, options: options, context: context.value)
            : loop.flatSubmit { handler.value.upgradeToWebSocket(id: id, accept: accept, options: options, context: context.value) }
        return try await upgraded.get()
    }
}
