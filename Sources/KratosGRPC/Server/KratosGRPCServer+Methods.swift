import GRPCCore
import GRPCNIOTransportHTTP2Posix
import GRPCProtobuf
import Kratos
import SwiftProtobuf
import Synchronization

/// A method as registered, kept until the server binds and its middleware is final: `register`
/// adds it to the router with the middleware chain made for its operation.
public struct PendingMethod: Sendable {
    let operation: String
    /// Streaming kinds see a ``StreamingRequest`` holding an `Exchange`; unary ones the message.
    let isStreaming: Bool
    let inner: Middleware.Handler
    let register: @Sendable (inout RPCRouter<HTTP2ServerTransport.Posix>, _ chain: @escaping Middleware.Handler) -> Void
}

extension KratosGRPCServer {
    /// Registers a unary method: middleware sees the request message and the reply message.
    /// - Parameter operation: `/package.Service/Method`.
    public func unary<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String,
        _ handler: @escaping @Sendable (Input, RequestContext) async throws -> Output
    ) throws {
        let descriptor = try methodDescriptor(operation)
        try add(operation, isStreaming: false, inner: { request, context in try await handler(context.typed(request, as: Input.self), context) }) { [self] router, chain in
            router.registerHandler(forMethod: descriptor, deserializer: ProtobufDeserializer<Input>(),
                                   serializer: ProtobufSerializer<Output>()) { request, server in
                await self.started.pass()
                let context = self.requestContext(operation, request.metadata)
                do {
                    let message = try await ServerRequest(stream: request).message
                    let reply = try await RequestContext.$current.withValue(context) {
                        try await Deadline.run(until: context.deadline) { try await chain(message, context) }
                    }
                    let output = try context.typed(reply, as: Output.self, role: "reply")
                    return StreamingServerResponse(single: ServerResponse(message: output, metadata: GRPCCore.Metadata(replyHeadersOf: context)))
                } catch {
                    return StreamingServerResponse(error: self.rpcError(error, context))
                }
            }
        }
    }

    /// Registers a server-streaming method: middleware sees a ``StreamingRequest`` holding the
    /// request message; the handler writes replies to the writer.
    public func serverStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String,
        _ handler: @escaping @Sendable (Input, MessageWriter<Output>, RequestContext) async throws -> Void
    ) throws {
        try streaming(operation, Input.self, Output.self) { messages, writer, context in
            var iterator = messages.makeAsyncIterator()
            guard let message = try await iterator.next() else {
                throw KratosError.badRequest("CODEC", "\(operation) expects one request message")
            }
            try await handler(message, writer, context)
            return nil
        }
    }

    /// Registers a client-streaming method: middleware sees a ``StreamingRequest`` and a
    /// ``StreamingReply`` holding the reply message.
    public func clientStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String,
        _ handler: @escaping @Sendable (MessageStream<Input>, RequestContext) async throws -> Output
    ) throws {
        try streaming(operation, Input.self, Output.self) { messages, writer, context in
            let reply = try await handler(messages, context)
            try await writer.write(reply)
            return reply
        }
    }

    /// Registers a bidirectional-streaming method.
    public func bidirectionalStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String,
        _ handler: @escaping @Sendable (MessageStream<Input>, MessageWriter<Output>, RequestContext) async throws -> Void
    ) throws {
        try streaming(operation, Input.self, Output.self) { messages, writer, context in
            try await handler(messages, writer, context)
            return nil
        }
    }

    /// The shared shape of the three streaming kinds: the middleware runs once around the whole
    /// exchange; reply headers travel in the trailers.
    private func streaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _: Input.Type, _: Output.Type,
        _ body: @escaping @Sendable (MessageStream<Input>, MessageWriter<Output>, RequestContext) async throws -> Output?
    ) throws {
        let descriptor = try methodDescriptor(operation)
        let inner: Middleware.Handler = { request, context in
            let streaming = try context.typed(request, as: StreamingRequest.self)
            let exchange = try context.typed(streaming.message as any Sendable, as: Exchange<Input, Output>.self)
            return StreamingReply(message: try await body(exchange.messages, exchange.writer, context))
        }
        try add(operation, isStreaming: true, inner: inner) { [self] router, chain in
            router.registerHandler(forMethod: descriptor, deserializer: ProtobufDeserializer<Input>(),
                                   serializer: ProtobufSerializer<Output>()) { request, server in
                await self.started.pass()
                let context = self.requestContext(operation, request.metadata)
                return StreamingServerResponse(metadata: [:]) { writer in
                    let exchange = Exchange(messages: MessageStream(request.messages),
                                            writer: MessageWriter { try await writer.write($0) })
                    do {
                        _ = try await RequestContext.$current.withValue(context) {
                            try await Deadline.run(until: context.deadline) { try await chain(StreamingRequest(message: exchange), context) }
                        }
                    } catch {
                        throw self.rpcError(error, context)
                    }
                    return GRPCCore.Metadata(replyHeadersOf: context)
                }
            }
        }
    }

    private func add(_ operation: String, isStreaming: Bool, inner: @escaping Middleware.Handler,
                     register: @escaping @Sendable (inout RPCRouter<HTTP2ServerTransport.Posix>, @escaping Middleware.Handler) -> Void) throws {
        try core.register(PendingMethod(operation: operation, isStreaming: isStreaming, inner: inner, register: register))
    }

    /// Calls a method without a socket, through the same middleware and handler, within the
    /// server's timeout: the request messages in, the reply messages out (one for unary and
    /// client-streaming methods). Errors come out as the client would see them. For KratosTesting.
    package func callInProcess<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _ messages: [Input], metadata: GRPCCore.Metadata = [:], as _: Output.Type = Output.self
    ) async throws -> [Output] {
        let (methods, middleware) = core.registered
        guard let method = methods.first(where: { $0.operation == operation }) else {
            throw KratosError(code: 501, reason: "UNIMPLEMENTED", message: "no method \(operation) is registered")
        }
        let chain = middleware.chain(for: operation, around: method.inner)
        let context = requestContext(operation, metadata)
        do {
            return try await RequestContext.$current.withValue(context) {
                try await Deadline.run(until: context.deadline) {
                    guard method.isStreaming else {
                        let reply = try await chain(messages.first ?? Input(), context)
                        return [try context.typed(reply, as: Output.self, role: "reply")]
                    }
                    let replies = Replies<Output>()
                    let stream = AsyncStream<Input> { continuation in
                        for message in messages { continuation.yield(message) }
                        continuation.finish()
                    }
                    let exchange = Exchange(messages: MessageStream(stream), writer: MessageWriter<Output> { replies.append($0) })
                    _ = try await chain(StreamingRequest(message: exchange), context)
                    return replies.all
                }
            }
        } catch {
            // As a remote client would see it: an RPCError keeps its status code.
            throw KratosError.fromGRPC(error)
        }
    }

    /// The request's context: kind, endpoint, operation, headers, `x-md-` metadata, deadline.
    private func requestContext(_ operation: String, _ metadata: GRPCCore.Metadata) -> RequestContext {
        // Only x-md- keys are metadata; gRPC metadata keys are already lower-case.
        let carried = metadata.lazy.filter { $0.key.hasPrefix(KratosMetadata.prefix) }.map { (name: $0.key, value: $0.value.encoded()) }
        let (endpoint, app) = core.serving
        return RequestContext(kind: .grpc, endpoint: endpoint, operation: operation, requestHeaders: GRPCHeaders(metadata),
                              metadata: KratosMetadata.extract(from: carried),
                              deadline: configuration.timeout == .zero ? nil : .now + configuration.timeout,
                              logger: configuration.logger, app: app)
    }

    /// A thrown error as the status the client sees; a plain error's text stays in the log.
    private func rpcError(_ error: any Error, _ context: RequestContext) -> RPCError {
        if let error = error as? RPCError { return error }
        let kratos = KratosError(error)
        if kratos.code >= 500, !(error is KratosError) {
            context.logger.error("request failed", metadata: ["operation": "\(context.operation)", "error": "\(String(reflecting: error))"])
        }
        return kratos.rpcError
    }
}

/// The replies an in-process streaming call wrote.
private final class Replies<Output: Sendable>: Sendable {
    private let list = Mutex<[Output]>([])
    func append(_ reply: Output) { list.withLock { $0.append(reply) } }
    var all: [Output] { list.withLock { $0 } }
}

/// A streaming call's inbound messages and reply writer, carried to the handler inside the
/// middleware's ``StreamingRequest``.
private struct Exchange<Input: Sendable, Output: Sendable>: Sendable {
    let messages: MessageStream<Input>
    let writer: MessageWriter<Output>
}
