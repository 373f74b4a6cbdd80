import Kratos
import NIOCore
import NIOHTTP1
import NIOWebSocket

/// The WebSocket upgrade of ``HTTPChannelHandler``: a WebSocket route accepting its handshake
/// gets the `101` reply written here, then the pipeline changes from
/// `HTTP decoder → HTTPChannelHandler` to `HTTPChannelHandler → frame decoder → frame encoder →
/// WebSocketChannelHandler`: the HTTP decoder leaves (forwarding bytes it holds past the
/// handshake), and this handler stays only to pass bytes through and to keep the request's
/// lifecycle — its task is cancelled when the peer goes away or the server stops, and it has no
/// deadline, as any stream.
extension HTTPChannelHandler {
    /// Answers request `id`'s handshake and installs the WebSocket handlers.
    func upgradeToWebSocket(id: UInt64, accept: String, options: KratosHTTPServer.WebSocketOptions,
                            context: ChannelHandlerContext) -> EventLoopFuture<WebSocketSession> {
        guard context.channel.isActive, !upgraded, let current = running, current.id == id else {
            return context.eventLoop.makeFailedFuture(CancellationError())
        }
        if let version = state.answering?.head.version, version.major != 1 || version.minor < 1 {
            return context.eventLoop.makeFailedFuture(KratosError.badRequest("BAD_HANDSHAKE", "a WebSocket handshake is HTTP/1.1"))
        }
        var head = context.channel.allocator.buffer(capacity: 160)
        head.writeStaticString("HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\nconnection: Upgrade\r\nsec-websocket-accept: ")
        head.writeString(accept)
        head.writeStaticString("\r\n\r\n")
        let frames = WebSocketChannelHandler(options: options, eventLoop: context.eventLoop)
        frames.peerLeft = { [weak self] in
            if let running = self?.running, running.id == id { running.task?.cancel() }
        }
        do {
            let pipeline = context.pipeline.syncOperations
            try pipeline.addHandlers(
                [ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: options.effectiveMaxMessageSize)), WebSocketFrameEncoder(), frames],
                position: .after(self))
            upgraded = true
            context.writeAndFlush(wrapOutboundOut(.byteBuffer(head)), promise: nil)
            // The HTTP decoder stopped parsing at the handshake; bytes it holds past it (frames
            // the client sent at once) reach the frame decoder as it leaves.
            let decoder = try pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self)
            pipeline.removeHandler(context: decoder, promise: nil)
        } catch {
            context.close(promise: nil)
            return context.eventLoop.makeFailedFuture(error)
        }
        return context.eventLoop.makeSucceededFuture(WebSocketSession(handler: frames, eventLoop: context.eventLoop))
    }
}
