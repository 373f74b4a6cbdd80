import Kratos
import KratosNIO
import NIOCore
import SwiftProtobuf

/// What every call kind shares: the middleware around the call, its request headers and
/// deadline, request framing, replies and reply metadata, and the endpoint's addresses.
extension KratosGRPCClient {
    // MARK: Plumbing

    /// Runs `send` inside the client middleware with the request headers (propagated metadata,
    /// headers middleware added, the deadline); any failure comes out as a ``KratosError``.
    func call<Reply>(
        _ operation: String, _ request: any Sendable, replying _: Reply.Type,
        _ send: @escaping @Sendable (any Sendable, RequestContext, ByteBuffer) async throws -> any Sendable
    ) async throws -> Reply {
        let outgoing = KratosMetadata.propagated(client: KratosMetadata.outgoing, server: RequestContext.current?.metadata)
        let fields = outgoing.map { (name: $0.key.lowercased(), value: $0.value) }
        let context = RequestContext(kind: .grpc, endpoint: configuration.endpoint, operation: operation,
                                     requestHeaders: GRPCHeaders(fields), metadata: outgoing,
                                     deadline: .now + configuration.timeout)
        let chain = middleware.wrap { request, context in
            do {
                return try await send(request, context, self.head(operation, context, metadata: fields))
            } catch is CancellationError {
                throw KratosError(CallStatus(code: .cancelled, message: "the call was cancelled"))
            } catch {
                throw KratosError(error)
            }
        }
        let executor = pool.executor()
        let reply: any Sendable
        if executor.eventLoop.inEventLoop {
            reply = try await chain(request, context)
        } else {
            // The whole call runs on its connection's event loop: no hop per step.
            reply = try await withTaskExecutorPreference(executor) { try await chain(request, context) }
        }
        return try context.typed(reply, as: Reply.self, role: "reply")
    }

    /// The request headers as an HPACK block: the fields every call of this client sends alike
    /// (encoded once), the method's path, the deadline, the propagated metadata, and the headers
    /// middleware set (replacing metadata of the same name; the protocol's own fields stay ours).
    func head(_ operation: String, _ context: RequestContext, metadata: [(name: String, value: String)]) -> ByteBuffer {
        var block = ByteBuffer()
        block.reserveCapacity(fixedHead.pseudo.readableBytes + fixedHead.regular.readableBytes + operation.utf8.count + 64)
        // Pseudo-headers first, as HTTP/2 requires (grpc-go refuses a request otherwise).
        block.writeImmutableBuffer(fixedHead.pseudo)
        HeaderBlock.write(":path", operation, into: &block)
        block.writeImmutableBuffer(fixedHead.regular)
        if let remaining = remaining(context) { HeaderBlock.write("grpc-timeout", GRPCTimeout.encode(remaining), into: &block) }
        let set = context.outgoingHeaders.fields
        guard !set.isEmpty else {
            HeaderBlock.write(metadata, into: &block)
            return block
        }
        var last: [String: String] = [:]
        for (name, value) in set { last[name.lowercased()] = value }
        for field in metadata where last[field.name] == nil { HeaderBlock.write(field.name, field.value, into: &block) }
        for (name, value) in last.sorted(by: { $0.key < $1.key }) where !Self.protocolFields.contains(name) {
            HeaderBlock.write(name, value, into: &block)
        }
        return block
    }

    /// Names the client itself sends on every call.
    static let protocolFields: Set<String> = [":method", ":scheme", ":path", ":authority", "content-type", "te",
                                              "grpc-accept-encoding", "grpc-encoding", "grpc-timeout", "user-agent"]

    /// What every call of a client sends alike, as HPACK blocks: the pseudo-headers but `:path`,
    /// and the regular fields.
    static func fixedHead(authority: String, scheme: String, compression: MessageEncoding?) -> (pseudo: ByteBuffer, regular: ByteBuffer) {
        var fields = [("content-type", "application/grpc"), ("te", "trailers"), ("grpc-accept-encoding", MessageEncoding.acceptHeader),
                      ("user-agent", "kratos-swift/\(Kratos.version)")]
        if let compression { fields.append(("grpc-encoding", compression.rawValue)) }
        return (HeaderBlock.constant([(":method", "POST"), (":scheme", scheme), (":authority", authority)]), HeaderBlock.constant(fields))
    }

    /// The time left before the call's deadline.
    func remaining(_ context: RequestContext) -> Duration? {
        context.deadline.map { max($0 - .now, .zero) }
    }

    func framed(_ message: some SwiftProtobuf.Message, _ connection: GRPCClientConnection) throws -> ByteBuffer {
        let bytes: [UInt8] = try message.serializedBytes()
        let allocator = connection.channel.allocator
        guard let compression = configuration.compression else { return framedMessage(bytes: bytes, allocator: allocator) }
        return try framedMessage(ByteBuffer(bytes: bytes), encoding: compression, allocator: allocator)
    }

    /// Lets `write` send request messages, then ends the request side; a failure cancels the call.
    func sendAll<Input: SwiftProtobuf.Message>(
        _ call: StreamingCall, _ connection: GRPCClientConnection, finishing: Bool,
        _ write: (@escaping @Sendable (Input) async throws -> Void) async throws -> Void
    ) async throws {
        do {
            try await write { message in try await call.send(try self.framed(message, connection)) }
            if finishing { call.finish() }
        } catch {
            call.cancel()
            throw error
        }
    }

    /// Hands each reply to `onMessage`, then checks the status.
    func receive<Output: SwiftProtobuf.Message>(_ call: StreamingCall, _ context: RequestContext,
                                                        _ onMessage: @Sendable (Output) async throws -> Void) async throws {
        do {
            for try await bytes in call.replies {
                try await onMessage(try Output(serializedBytes: Array(bytes.readableBytesView)))
            }
        } catch {
            call.cancel()
            throw error
        }
        let ending = try await call.ending.get()
        Self.record(ending, in: context)
        guard ending.status.code == .ok else { throw KratosError(ending.status) }
    }

    /// What the server sent besides messages, for middleware to read after the call: its
    /// headers as the context's reply headers, its trailing metadata as reply trailers.
    static func record(_ ending: CallEnding, in context: RequestContext) {
        for (name, value) in ending.headers ?? HeaderList() where !name.hasPrefix(":") && !statusFields.contains(name) {
            context.addReplyHeader(name, value)
        }
        for (name, value) in ending.trailers where !name.hasPrefix(":") && !statusFields.contains(name) {
            context.setReplyTrailer(name, value)
        }
    }

    static let statusFields: Set<String> = ["grpc-status", "grpc-message", "grpc-status-details-bin", "content-type"]

    /// The one reply of a call that ended OK, else the status as an error.
    static func single<Output: SwiftProtobuf.Message>(_ ending: CallEnding, as _: Output.Type) throws -> Output {
        guard ending.status.code == .ok else { throw KratosError(ending.status) }
        guard ending.replies.count == 1, let bytes = ending.replies.first else {
            throw KratosError(CallStatus(code: .internal, message: "the server sent \(ending.replies.count) replies to a call expecting one"))
        }
        return try Output(serializedBytes: Array(bytes.readableBytesView))
    }

    // MARK: Nodes

    /// Runs `body` on a connection to the call's node, and tells the node how the call went.
    func onNode<T>(_ context: RequestContext, _ body: (GRPCClientConnection) async throws -> T) async throws -> T {
        let (connection, picked) = try await pool.connection(waitingUpTo: remaining(context) ?? configuration.timeout)
        guard let picked else { return try await body(connection) }
        do {
            let value = try await body(connection)
            picked.done(.success)
            return value
        } catch {
            picked.done(Self.outcome(CallStatus(error).code))
            throw error
        }
    }

    /// A call of one request message whose replies are collected. A call the server did not
    /// process (it went away, or refused the stream) is made again, on another node when there
    /// are several, up to twice.
    func unaryCall(_ head: ByteBuffer, _ context: RequestContext,
                   _ message: (GRPCClientConnection) throws -> ByteBuffer) async throws -> CallEnding {
        var refused: Set<String> = []
        while true {
            let (connection, picked) = try await pool.connection(waitingUpTo: remaining(context) ?? configuration.timeout, excluding: refused)
            let ending: CallEnding
            do {
                ending = try await connection.call(head, message: try message(connection), maxReplySize: configuration.maxReplySize,
                                                   timeout: remaining(context))
            } catch {
                picked?.done(.failed)
                throw error
            }
            if ending.unprocessed, refused.count < 2, remaining(context).map({ $0 > .zero }) ?? true {
                picked?.done(.unreachable)
                refused.insert(picked?.node.endpoint ?? "")
                continue
            }
            picked?.done(Self.outcome(ending.status.code))
            return ending
        }
    }

    /// How a call that ended with `code` reflects on its node: UNAVAILABLE as unreachable,
    /// failures of the server as failed, anything else (an answer, even an error one) as success.
    static func outcome(_ code: GRPCStatusCode) -> CallOutcome {
        switch code {
        case .unavailable: .unreachable
        case .deadlineExceeded, .internal, .unknown, .resourceExhausted, .dataLoss: .failed
        default: .success
        }
    }
}
