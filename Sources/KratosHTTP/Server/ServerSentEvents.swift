import Kratos
import NIOCore
import NIOHTTP1
import SwiftProtobuf
import Synchronization

/// Server-Sent Events (the WHATWG `text/event-stream` format) for server-streaming routes: each
/// message is one event, `data: <protojson>`, and an error ends the stream as `event: error`
/// with the Kratos error body `{"code":…,"reason":…,"message":…,"metadata":{…}}`.
enum ServerSentEvents {
    /// The request message and the reply writer, carried to the handler through the middleware
    /// inside a ``StreamingRequest``.
    struct Exchange<Input: Sendable, Output: Sendable>: Sendable {
        let message: Input
        let writer: MessageWriter<Output>
    }

    /// Runs the middleware chain around the handler with `input`, sending each message the handler
    /// writes as an event. Returns the reply that ends the stream: its body is what was not sent
    /// yet (the final error event; in process, every event).
    static func respond<Input: Sendable, Output: SwiftProtobuf.Message>(
        to request: HTTPRequest, with input: Input, as _: Output.Type, through chain: Middleware.Handler
    ) async throws -> HTTPResponse {
        let codec = request.codecs.codec(forContentType: "application/json") ?? JSONCodec()
        let sink = Sink(request)
        let writer = MessageWriter<Output> { message in
            try await sink.send(event(data: codec.encode(message: message)))
        }
        var last = ByteBuffer()
        do {
            _ = try await chain(StreamingRequest(message: Exchange(message: input, writer: writer)), request.context)
        } catch {
            // Cancelled: the client went away (nobody reads this) or the server is stopping,
            // whatever the handler or a middleware made of the cancellation.
            let kratos = Task.isCancelled
                ? KratosError.serviceUnavailable("SERVER_STOPPING", "the stream ended because the server is stopping")
                : KratosError(error)
            if !(error is KratosError), kratos.code >= 500, !Task.isCancelled {
                request.context.logger.error("stream failed", metadata: [
                    "operation": "\(request.context.operation)", "error": "\(String(reflecting: error))",
                ])
            }
            last = event("error", data: kratos.jsonBody())
        }
        return sink.reply(ending: last)
    }

    /// One event: an optional `event:` line, then the data one `data:` line per line (a line ends
    /// at CR, LF or CRLF), then a blank line.
    static func event(_ name: String? = nil, data: [UInt8]) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.reserveCapacity(data.count + 16)
        if let name {
            buffer.writeStaticString("event: ")
            buffer.writeString(name)
            buffer.writeStaticString("\n")
        }
        var start = 0
        var index = 0
        func line(until end: Int) {
            buffer.writeStaticString("data: ")
            buffer.writeBytes(data[start..<end])
            buffer.writeStaticString("\n")
        }
        while index < data.count {
            let byte = data[index]
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                line(until: index)
                if byte == UInt8(ascii: "\r"), index + 1 < data.count, data[index + 1] == UInt8(ascii: "\n") { index += 1 }
                start = index + 1
            }
            index += 1
        }
        line(until: data.count)
        buffer.writeStaticString("\n")
        return buffer
    }

    /// The head of an event stream: 200, `text/event-stream`, no caching, the reply headers.
    static func head(_ context: RequestContext) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: "text/event-stream")
        headers.add(name: "cache-control", value: "no-cache")
        context.forEachReplyHeader { headers.add(name: $0, value: $1) }
        return HTTPResponse(status: .ok, headers: headers)
    }

    /// Where a route's events go: to the connection as they come, or, in process (no
    /// ``ResponseStream``), collected into the one reply.
    final class Sink: Sendable {
        private let stream: ResponseStream?
        private let context: RequestContext
        private let collected = Mutex(ByteBuffer())

        init(_ request: HTTPRequest) {
            stream = request.responseStream
            context = request.context
        }

        func send(_ event: ByteBuffer) async throws {
            guard let stream else {
                collected.withLock { _ = $0.writeImmutableBuffer(event) }
                return
            }
            try await stream.send(event) { ServerSentEvents.head(context) }
        }

        /// The reply ending the stream, `last` as its body after what was collected.
        func reply(ending last: ByteBuffer) -> HTTPResponse {
            var response = ServerSentEvents.head(context)
            var body = collected.withLock { $0 }
            body.writeImmutableBuffer(last)
            response.body = body
            return response
        }
    }
}
