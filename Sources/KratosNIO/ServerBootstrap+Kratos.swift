import NIOCore
import NIOPosix

extension ServerBootstrap {
    /// A listener as the Kratos servers configure theirs: backlog 256 and SO_REUSEADDR; nothing
    /// accepted until the server runs (`autoRead` stays off until then, so the app a connection
    /// serves is known first); each connection known to `quiesce` for a graceful stop; TCP_NODELAY
    /// and up to 16 reads per event-loop turn. The caller adds its child channel initializer.
    package static func kratos(group: any EventLoopGroup, quiesce: ConnectionQuiescer) -> ServerBootstrap {
        ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelOption(.autoRead, value: false)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(quiesce.makeServerChannelHandler(channel: channel))
                }
            }
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
    }
}
