import NIOCore

/// What the engine runs for a call on a method's path, by the shape of its request side.
package enum GRPCMethod: Sendable {
    /// One request message in, the serialized reply back (unary): the fast path, answered in one
    /// write of headers, message and trailers.
    case unary(@Sendable (_ request: ByteBuffer, _ call: ServerCall) async throws -> [UInt8])
    /// One request message in, replies through ``ServerCall/write(_:)`` (server streaming).
    case serverStreaming(@Sendable (_ request: ByteBuffer, _ call: ServerCall) async throws -> Void)
    /// Request messages through ``ServerCall/messages`` (client and bidirectional streaming),
    /// replies through ``ServerCall/write(_:)``.
    case requestStreaming(@Sendable (_ call: ServerCall) async throws -> Void)
}
