import Kratos
import NIOCore
import SwiftProtobuf
import Synchronization

/// Client and bidirectional streams over WebSocket: the handshake, then one message per frame
/// both ways (text frames protojson, binary frames binary protobuf), the middleware once around
/// the whole exchange, and a close code carrying how it ended (see ``WebSocketCloseCode``).
enum WebSocketExchange {
    /// The client's messages and the reply writer, carried to the handler through the middleware
    /// inside a ``StreamingRequest``.
    struct Streams<Input: Sendable, Output: Sendable>: Sendable {
        let requests: MessageStream<Input>
        let writer: MessageWriter<Output>
    }

    /// Accepts the handshake and runs the middleware chain around the handler; a client stream's
    /// reply (`replies`) is written as one message before the normal close. Returns the `101`
    /// (the connection writes nothing more), or the refusal of a request that is no handshake.
    static func respond<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        to request: HTTPRequest, variables: MessageBinding.Prepared<Input>, options: KratosHTTPServer.WebSocketOptions,
        replies: Bool, as _: Output.Type, through chain: Middleware.Handler
    ) async -> HTTPResponse {
        let session: WebSocketSession
        do {
            let accept = try WebSocketHandshake.accept(method: request.method, headers: request.headers)
            guard let upgrade = request.webSocket else {
                throw KratosError(code: 426, reason: "UPGRADE_REQUIRED", message: "WebSocket streams need a connection (not in process)")
            }
            session = try await upgrade.accept(accept, options: options)
        } catch {
            return WebSocketHandshake.refusal(error, for: request)
        }
        let json = request.codecs.codec(forContentType: "application/json") ?? JSONCodec()
        let format = ReplyFormat()
        let pathParameters = request.pathParameters
        let requests = MessageStream(Messages<Input>(session: session, json: json, format: format) { input in
            if !pathParameters.isEmpty { try variables.bind(pathParameters, into: &input) }
        })
        let writer = MessageWriter<Output> { message in
            let binary = format.binary.load(ordering: .relaxed)
            let bytes = binary ? try message.serializedBytes() : try json.encode(message: message)
            try await session.send(ByteBuffer(bytes: bytes), binary: binary)
        }
        do {
            let reply = try await chain(StreamingRequest(message: Streams(requests: requests, writer: writer)), request.context)
            if replies {
                guard let output = (reply as? StreamingReply)?.message as? Output else {
                    throw KratosError.internalServer("BAD_REPLY", "the client stream's handler replied \(type(of: reply)), not \(Output.self)")
                }
                try await writer.write(output)
            }
            session.close(code: WebSocketCloseCode.normal)
        } catch {
            if Task.isCancelled {
                // The client went away (nothing to send to) or the server is stopping.
                let stopping = KratosError.serviceUnavailable("SERVER_STOPPING", "the stream ended because the server is stopping")
                session.close(code: WebSocketCloseCode.goingAway, reason: WebSocketCloseCode.reason(for: stopping))
            } else {
                let kratos = KratosError(error)
                if !(error is KratosError), kratos.code >= 500 {
                    request.context.logger.error("stream failed", metadata: [
                        "operation": "\(request.context.operation)", "error": "\(String(reflecting: error))",
                    ])
                }
                session.close(code: WebSocketCloseCode.code(for: kratos), reason: WebSocketCloseCode.reason(for: kratos))
            }
        }
        return HTTPResponse(status: .switchingProtocols)
    }

    /// The frame type replies use: that of the last message the handler read (text before any).
    final class ReplyFormat: Sendable {
        let binary = Atomic(false)
    }

    /// The client's messages, decoded as they are read: a text frame with the JSON codec, a
    /// binary frame as binary protobuf; then the path variables bound (they win, as for unary
    /// routes). A message that does not decode throws 400 `CODEC`.
    struct Messages<Input: SwiftProtobuf.Message>: AsyncSequence, Sendable {
        let session: WebSocketSession
        let json: any Codec
        let format: ReplyFormat
        let bind: @Sendable (inout Input) throws -> Void

        struct AsyncIterator: AsyncIteratorProtocol {
            let messages: Messages

            mutating func next() async throws -> Input? {
                guard let message = try await messages.session.next() else { return nil }
                messages.format.binary.store(message.binary, ordering: .relaxed)
                let bytes = Array(message.bytes.readableBytesView)
                var input = message.binary ? try ProtoCodec().decode(Input.self, from: bytes) : try messages.json.decode(Input.self, from: bytes)
                try messages.bind(&input)
                return input
            }
        }

        func makeAsyncIterator() -> AsyncIterator {
            AsyncIterator(messages: self)
        }
    }
}
