import NIOCore
import NIOHTTP1
import NIOPosix

// The floor of any NIO HTTP/1.1 server: NIO's request decoder and one handler that writes the
// hello reply, prepared once, synchronously in channelRead: no routing, no codec, no async, no
// per-request allocation of its own. Usage: bench-nio PORT
final class Hello: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = ByteBuffer
    let reply = ByteBuffer(string: "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 26\r\n\r\n"
                           + #"{"message":"Hello kratos"}"#)

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .end = unwrapInboundIn(data) {
            context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        }
    }
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8003 : 8003
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try await ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 256)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
            try channel.pipeline.syncOperations.addHandler(Hello())
        }
    }
    .bind(host: "127.0.0.1", port: port).get()
try await channel.closeFuture.get()
