import Kratos
import NIOCore
import SwiftProtobuf

/// Methods on protobuf messages, for services the engine serves without middleware (health,
/// reflection) and for the framework's own registration.
extension GRPCMethod {
    /// A unary method.
    static func unary<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _: Input.Type, _ body: @escaping @Sendable (Input, ServerCall) async throws -> Output
    ) -> GRPCMethod {
        .unary { bytes, call in
            try await body(try Input.decoded(from: bytes), call).serializedBytes()
        }
    }

    /// A server-streaming method.
    static func serverStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _: Input.Type, _: Output.Type, _ body: @escaping @Sendable (Input, MessageWriter<Output>, ServerCall) async throws -> Void
    ) -> GRPCMethod {
        .serverStreaming { bytes, call in
            try await body(try Input.decoded(from: bytes), call.writer(of: Output.self), call)
        }
    }

    /// A client- or bidirectional-streaming method.
    static func requestStreaming<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>(
        _: Input.Type, _: Output.Type,
        _ body: @escaping @Sendable (MessageStream<Input>, MessageWriter<Output>, ServerCall) async throws -> Void
    ) -> GRPCMethod {
        .requestStreaming { call in
            try await body(call.messages(of: Input.self), call.writer(of: Output.self), call)
        }
    }
}

extension ServerCall {
    /// The request messages decoded as `Input`.
    func messages<Input: SwiftProtobuf.Message>(of _: Input.Type) -> MessageStream<Input> {
        MessageStream(messages.map { try Input.decoded(from: $0) })
    }

    /// Writes `Output` messages as replies.
    func writer<Output: SwiftProtobuf.Message>(of _: Output.Type) -> MessageWriter<Output> {
        MessageWriter { try await self.write($0.serializedBytes()) }
    }
}

extension SwiftProtobuf.Message {
    /// The message in `bytes`; INTERNAL when they are not one, as grpc-go answers.
    static func decoded(from bytes: ByteBuffer) throws -> Self {
        do {
            return try Self(serializedBytes: Array(bytes.readableBytesView))
        } catch {
            throw GRPCStatusError(.internal, "the request is not a valid \(Self.protoMessageName): \(error)")
        }
    }
}
