import Kratos
import KratosNIO
import NIOCore
import NIOPosix

/// A bound gRPC socket: each connection is HTTP/2, its frames, calls and life (keepalive, idle
/// and age limits, the GOAWAY of a graceful stop) run by one ``GRPCServerHandler``.
final class GRPCListener: Sendable {
    let channel: any Channel
    private let quiesce: ConnectionQuiescer

    private init(channel: any Channel, quiesce: ConnectionQuiescer) {
        self.channel = channel
        self.quiesce = quiesce
    }

    /// Binds; nothing is accepted before ``startAccepting()``.
    /// - Parameter security: set up on each connection before HTTP/2 (TLS with ALPN `h2`).
    static func bind(host: String, port: Int, group: any EventLoopGroup, security: (any ConnectionSecurity)?,
                     calls: GRPCServerHandler.Settings) async throws -> GRPCListener {
        let quiesce = ConnectionQuiescer()
        let channel = try await ServerBootstrap.kratos(group: group, quiesce: quiesce)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try security?.secure(channel, applicationProtocol: "h2")
                    try channel.pipeline.syncOperations.addHandler(
                        GRPCServerHandler(settings: calls, eventLoop: channel.eventLoop, allocator: channel.allocator))
                }
            }
            .bind(host: host, port: port)
            .get()
        return GRPCListener(channel: channel, quiesce: quiesce)
    }

    /// Starts accepting connections.
    func startAccepting() async {
        // It fails only on a channel already closed by a stop, which the caller then sees.
        _ = try? await channel.setOption(.autoRead, value: true).get()
    }

    /// Stops accepting and closes every connection gracefully (GOAWAY); completes once they have
    /// closed (calls in flight finish, within the graceful stop timeout).
    func stop() -> EventLoopFuture<Void> {
        let promise = channel.eventLoop.makePromise(of: Void.self)
        quiesce.initiateShutdown(promise: promise)
        return promise.futureResult
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        self = .nanoseconds(duration.saturatingNanoseconds)
    }
}
