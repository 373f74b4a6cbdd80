import Kratos
import NIOCore
import NIOHPACK
import NIOHTTP2
import NIOPosix
import Synchronization

/// One HTTP/2 connection whose calls run on ``GRPCClientHandler``; any task may start calls on it.
final class GRPCClientConnection: Sendable {
    let channel: any Channel
    private let handler: NIOLoopBound<GRPCClientHandler>
    private let usable: UsableFlag

    /// Whether new calls may start here (not closing, no GOAWAY seen).
    var isUsable: Bool { usable.value.load(ordering: .relaxed) && channel.isActive }

    private init(channel: any Channel, handler: NIOLoopBound<GRPCClientHandler>, usable: UsableFlag) {
        self.channel = channel
        self.handler = handler
        self.usable = usable
    }

    static func connect(host: String, port: Int, group: any EventLoopGroup, timeout: Duration) async throws -> GRPCClientConnection {
        let usable = UsableFlag()
        var connection = NIOHTTP2Handler.ConnectionConfiguration()
        connection.initialSettings = [
            HTTP2Setting(parameter: .enablePush, value: 0),
            HTTP2Setting(parameter: .initialWindowSize, value: streamWindow),
            HTTP2Setting(parameter: .maxHeaderListSize, value: 16 * 1024),
        ]
        var streams = NIOHTTP2Handler.StreamConfiguration()
        streams.targetWindowSize = streamWindow
        let (http2, stream) = (connection, streams)
        let channel = try await ClientBootstrap(group: group)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = GRPCClientHandler(eventLoop: channel.eventLoop, streamWindow: streamWindow, connectionWindow: 8 << 20)
                    handler.onUnusable = { usable.value.store(false, ordering: .relaxed) }
                    try channel.pipeline.syncOperations.addHandler(NIOHTTP2Handler(mode: .client, frameDelegate: ConnectionErrorWatcher(channel: channel),
                                                                                  connectionConfiguration: http2, streamConfiguration: stream))
                    try channel.pipeline.syncOperations.addHandler(handler)
                }
            }
            .connect(host: host, port: port)
            .get()
        let handler = try await channel.eventLoop.submit {
            NIOLoopBound(try channel.pipeline.syncOperations.handler(type: GRPCClientHandler.self), eventLoop: channel.eventLoop)
        }.get()
        return GRPCClientConnection(channel: channel, handler: handler, usable: usable)
    }

    private static let streamWindow = 1 << 20

    /// Runs a call whose request is one message and whose replies are collected: unary and
    /// client calls of that shape. Cancelling the task cancels the call.
    func call(_ head: HPACKHeaders, message: ByteBuffer, maxReplySize: Int, timeout: Duration?) async throws -> CallEnding {
        let handler = self.handler
        let loop = channel.eventLoop
        let opened = try await loop.submit {
            let (id, _, ending) = handler.value.open(head, message: message, collecting: true, maxReplySize: maxReplySize, timeout: timeout)
            return OpenedCall(id: id, ending: ending)
        }.get()
        return try await withTaskCancellationHandler {
            try await opened.ending.get()
        } onCancel: {
            if let id = opened.id { loop.execute { handler.value.cancel(id) } }
        }
    }

    /// Opens a call whose request messages are sent one by one.
    func stream(_ head: HPACKHeaders, collecting: Bool, maxReplySize: Int, timeout: Duration?) async throws -> StreamingCall {
        let handler = self.handler
        let opened = try await channel.eventLoop.submit {
            let (id, messages, ending) = handler.value.open(head, message: nil, collecting: collecting, maxReplySize: maxReplySize,
                                                            timeout: timeout)
            return StreamingCall(id: id, replies: messages, ending: ending, handler: handler)
        }.get()
        return opened
    }

    /// Closes the connection once its calls have ended.
    func closeGracefully() {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.closeGracefully() }
    }
}

private struct OpenedCall: Sendable {
    let id: HTTP2StreamID?
    let ending: EventLoopFuture<CallEnding>
}

private final class UsableFlag: Sendable {
    let value = Atomic<Bool>(true)
}

/// A call in progress whose request messages are written one by one.
struct StreamingCall: Sendable {
    let id: HTTP2StreamID?
    /// The replies, when they are not collected into the ending.
    let replies: IncomingMessages
    let ending: EventLoopFuture<CallEnding>
    fileprivate let handler: NIOLoopBound<GRPCClientHandler>

    /// Sends one (framed) message; suspends while the server is not reading.
    func send(_ message: ByteBuffer) async throws {
        guard let id else { throw GRPCStatusError(.unavailable, "the call did not start") }
        let handler = self.handler
        let wait = try await ending.eventLoop.submit { try handler.value.send(message, on: id) }.get()
        try await wait?.get()
    }

    /// Ends the request side.
    func finish() {
        guard let id else { return }
        let handler = self.handler
        ending.eventLoop.execute { handler.value.finishSending(id) }
    }

    /// Cancels the call (RST_STREAM); it ends CANCELLED.
    func cancel() {
        guard let id else { return }
        let handler = self.handler
        ending.eventLoop.execute { handler.value.cancel(id) }
    }
}
