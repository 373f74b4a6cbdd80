import Kratos
import NIOCore
import SwiftProtobuf
import Synchronization

/// A method as registered, kept until the server binds and its middleware is final: `make`
/// turns the middleware chain made for its operation into what the engine runs.
public struct PendingMethod: Sendable {
    let operation: String
    /// Streaming kinds see a ``StreamingRequest`` holding an `Exchange`; unary ones the message.
    let isStreaming: Bool
    let inner: Middleware.Handler
    let make: @Sendable (_ chain: @escaping Middleware.Handler) -> GRPCMethod
}

extension KratosGRPCServer {
    /// Registers a unary method: middleware sees the request message and the reply message.
    /// - Parameter operation: `/package.Service/Method`.
    public func unary<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String,
        _ handler: @escaping @Sendable (Input, RequestContext) async throws -> Output
    ) throws {
        _ = try operationParts(operation)
        try add(operation, isStreaming: false, inner: { request, context in try await handler(context.typed(request, as: Input.self), context) }) { [self] chain in
            .unary { bytes, call in
                let context = self.requestContext(operation, call)
                do {
                    let message = try Input.decoded(from: bytes)
                    let reply = try await RequestContext.$current.withValue(context) { try await chain(message, context) }
                    let output = try context.typed(reply, as: Output.self, role: "reply")
                    return try output.serializedBytes()
                } catch {
                    throw self.logged(error, context)
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
        try streaming(operation, Input.self, Output.self, singleRequest: true) { messages, writer, context in
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
        try streaming(operation, Input.self, Output.self, singleRequest: false) { messages, writer, context in
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
        try streaming(operation, Input.self, Output.self, singleRequest: false) { messages, writer, context in
            try await handler(messages, writer, context)
            return nil
        }
    }

    /// The shared shape of the three streaming kinds: the middleware runs once around the whole
    /// exchange; reply headers go out before the first reply (or with the trailers).
    private func streaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _: Input.Type, _: Output.Type, singleRequest: Bool,
        _ body: @escaping @Sendable (MessageStream<Input>, MessageWriter<Output>, RequestContext) async throws -> Output?
    ) throws {
        _ = try operationParts(operation)
        let inner: Middleware.Handler = { request, context in
            let streaming = try context.typed(request, as: StreamingRequest.self)
            let exchange = try context.typed(streaming.message as any Sendable, as: Exchange<Input, Output>.self)
            return StreamingReply(message: try await body(exchange.messages, exchange.writer, context))
        }
        try add(operation, isStreaming: true, inner: inner) { [self] chain in
            let serve: @Sendable (MessageStream<Input>, ServerCall) async throws -> Void = { messages, call in
                let context = self.requestContext(operation, call)
                let writer = MessageWriter<Output> { reply in try await call.write(reply.serializedBytes()) }
                do {
                    _ = try await RequestContext.$current.withValue(context) {
                        try await chain(StreamingRequest(message: Exchange(messages: messages, writer: writer)), context)
                    }
                } catch {
                    throw self.logged(error, context)
                }
            }
            if singleRequest {
                return .serverStreaming { bytes, call in
                    let message = try Input.decoded(from: bytes)
                    try await serve(MessageStream(SingleMessage(message: message)), call)
                }
            }
            return .requestStreaming { call in try await serve(call.messages(of: Input.self), call) }
        }
    }

    private func add(_ operation: String, isStreaming: Bool, inner: @escaping Middleware.Handler,
                     make: @escaping @Sendable (@escaping Middleware.Handler) -> GRPCMethod) throws {
        try core.register(PendingMethod(operation: operation, isStreaming: isStreaming, inner: inner, make: make))
    }

    /// Calls a method without a socket, through the same middleware and handler (a unary one
    /// within the server's timeout): the request messages in, the reply messages out (one for unary and
    /// client-streaming methods). Errors come out as the client would see them. For KratosTesting.
    package func callInProcess<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _ operation: String, _ messages: [Input], metadata: [(name: String, value: String)] = [], as _: Output.Type = Output.self
    ) async throws -> [Output] {
        let (methods, middleware) = core.registered
        guard let method = methods.first(where: { $0.operation == operation }) else {
            throw KratosError(code: 501, reason: "UNIMPLEMENTED", message: "no method \(operation) is registered")
        }
        let chain = middleware.chain(for: operation, around: method.inner)
        // As on the wire: the server's timeout bounds unary calls only.
        let deadline = configuration.timeout == .zero || method.isStreaming ? nil : ContinuousClock.now + configuration.timeout
        let context = requestContext(operation, headers: GRPCHeaders(metadata), deadline: deadline)
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
            // As a remote client would see it.
            throw KratosError(error)
        }
    }

    /// The request's context: kind, endpoint, operation, headers, `x-md-` metadata, deadline.
    /// The context of a call on the wire; its reply headers and trailers are what the call sends.
    private func requestContext(_ operation: String, _ call: ServerCall) -> RequestContext {
        let context = requestContext(operation, headers: GRPCHeaders(call.headers), deadline: call.deadline)
        call.replyMetadata(from: .init(headers: { context.replyHeaders.fields }, trailers: { context.replyTrailers.fields }))
        return context
    }

    private func requestContext(_ operation: String, headers: GRPCHeaders, deadline: ContinuousClock.Instant?) -> RequestContext {
        // Only x-md- keys are metadata; gRPC metadata keys are already lower-case.
        let carried = headers.fields.lazy.filter { $0.name.hasPrefix(KratosMetadata.prefix) }
        let (endpoint, app) = core.serving
        return RequestContext(kind: .grpc, endpoint: endpoint, operation: operation, requestHeaders: headers,
                              metadata: KratosMetadata.extract(from: carried), deadline: deadline,
                              logger: configuration.logger, app: app)
    }

    /// A plain error's text stays in the log; the client sees the framework's status.
    private func logged(_ error: any Error, _ context: RequestContext) -> any Error {
        if !(error is KratosError), !(error is GRPCStatusError), !(error is CancellationError), KratosError(error).code >= 500 {
            context.logger.error("request failed", metadata: ["operation": "\(context.operation)", "error": "\(String(reflecting: error))"])
        }
        return error
    }
}

/// The one request message of a server-streaming call, as the stream its handler reads.
private struct SingleMessage<Element: Sendable>: AsyncSequence, Sendable {
    let message: Element

    struct AsyncIterator: AsyncIteratorProtocol {
        var message: Element?
        mutating func next() async -> Element? {
            defer { message = nil }
            return message
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(message: message) }
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
