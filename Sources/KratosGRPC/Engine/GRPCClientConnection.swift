import Kratos
import KratosNIO
import NIOCore
import Logging
import NIOPosix
import Synchronization

/// One HTTP/2 connection whose calls run on ``GRPCClientHandler``; any task may start calls on
/// it, and a task running on the connection's event loop does so without leaving it.
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

    /// - Parameter security: set up before HTTP/2 (TLS with ALPN `h2`, SNI `host` unless it is an
    ///   IP address).
    static func connect(host: String, port: Int, on loop: any EventLoop, timeout: Duration, security: (any ClientConnectionSecurity)?,
                        logger: Logger) async throws -> GRPCClientConnection {
        let usable = UsableFlag()
        let serverHostname = Self.isIPAddress(host) ? nil : host
        let channel = try await ClientBootstrap(group: loop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .connectTimeout(TimeAmount(timeout))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try security?.secure(channel, serverHostname: serverHostname, applicationProtocol: "h2")
                    let handler = GRPCClientHandler(eventLoop: channel.eventLoop, allocator: channel.allocator, streamWindow: streamWindow,
                                                    connectionWindow: 8 << 20, logger: logger)
                    handler.onUnusable = { usable.value.store(false, ordering: .relaxed) }
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

    /// Whether `host` is an IPv4 or IPv6 literal (no name to check a certificate against).
    static func isIPAddress(_ host: String) -> Bool {
        host.contains(":") || (!host.isEmpty && host.allSatisfy { $0.isNumber || $0 == "." })
    }

    /// Runs `body` on the connection's event loop: at once when already there, else after a hop.
    private func onLoop<T: Sendable>(_ body: @escaping @Sendable (GRPCClientHandler) throws -> T) async throws -> T {
        let loop = channel.eventLoop
        if loop.inEventLoop { return try body(handler.value) }
        let handler = self.handler
        return try await loop.submit { try body(handler.value) }.get()
    }

    /// Runs a call whose request is one message and whose replies are collected: unary and
    /// client calls of that shape. Cancelling the task cancels the call.
    func call(_ head: ByteBuffer, message: ByteBuffer, maxReplySize: Int, timeout: Duration?) async throws -> CallEnding {
        let opened = try await onLoop { handler in
            let (stream, _, ending) = handler.open(head, message: message, collecting: true, maxReplySize: maxReplySize, timeout: timeout)
            return OpenedCall(stream: stream.map { NIOLoopBound($0, eventLoop: handler.eventLoop) }, ending: ending)
        }
        let handler = self.handler
        return try await withTaskCancellationHandler {
            try await opened.ending.get()
        } onCancel: {
            guard let stream = opened.stream else { return }
            onEventLoop(stream.eventLoop) { handler.value.cancel(stream.value) }
        }
    }

    /// Opens a call whose request messages are sent one by one.
    func stream(_ head: ByteBuffer, collecting: Bool, maxReplySize: Int, timeout: Duration?) async throws -> StreamingCall {
        let handler = self.handler
        return try await onLoop { value in
            let (stream, messages, ending) = value.open(head, message: nil, collecting: collecting, maxReplySize: maxReplySize, timeout: timeout)
            return StreamingCall(stream: stream.map { NIOLoopBound($0, eventLoop: value.eventLoop) }, replies: messages, ending: ending,
                                 handler: handler)
        }
    }

    /// Closes the connection once its calls have ended.
    func closeGracefully() {
        let handler = self.handler
        channel.eventLoop.execute { handler.value.closeGracefully() }
    }
}

private struct OpenedCall: Sendable {
    let stream: NIOLoopBound<ClientStream>?
    let ending: EventLoopFuture<CallEnding>
}

private final class UsableFlag: Sendable {
    let value = Atomic<Bool>(true)
}

/// A call in progress whose request messages are written one by one.
struct StreamingCall: Sendable {
    let stream: NIOLoopBound<ClientStream>?
    /// The replies, when they are not collected into the ending.
    let replies: IncomingMessages
    let ending: EventLoopFuture<CallEnding>
    fileprivate let handler: NIOLoopBound<GRPCClientHandler>

    /// Sends one (framed) message; suspends while the server is not reading.
    func send(_ message: ByteBuffer) async throws {
        guard let stream else { throw GRPCStatusError(.unavailable, "the call did not start") }
        let handler = self.handler
        let loop = stream.eventLoop
        let wait = loop.inEventLoop ? try handler.value.send(message, on: stream.value)
                                    : try await loop.submit { try handler.value.send(message, on: stream.value) }.get()
        try await wait?.get()
    }

    /// Ends the request side.
    func finish() {
        guard let stream else { return }
        let handler = self.handler
        onEventLoop(stream.eventLoop) { handler.value.finishSending(stream.value) }
    }

    /// Cancels the call (RST_STREAM); it ends CANCELLED.
    func cancel() {
        guard let stream else { return }
        let handler = self.handler
        onEventLoop(stream.eventLoop) { handler.value.cancel(stream.value) }
    }
}
