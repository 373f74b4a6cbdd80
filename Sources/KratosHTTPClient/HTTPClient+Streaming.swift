import AsyncHTTPClient
import Kratos
import NIOHTTP1
import SwiftProtobuf

extension KratosHTTPClient {
    /// Calls a server-streaming route (Server-Sent Events, as `KratosHTTPServer.serverStreaming`
    /// serves them) and hands each message to `onMessage` as it arrives; returns when the stream
    /// ends. Client middleware sees a ``StreamingRequest`` holding `body` and a ``StreamingReply``.
    /// The client's timeout bounds the wait for the reply's head, not the stream.
    ///
    /// ```swift
    /// try await client.serverStreaming(.GET, "/helloworld/abc/spell", operation: "/helloworld.v1.Greeter/Spell",
    ///                                  as: HelloReply.self) { reply in print(reply.message) }
    /// ```
    /// - Throws: the ``KratosError`` of a final `event: error`, or of a reply that is not 2xx.
    public func serverStreaming<Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod, _ path: String, operation: String, body: (any Sendable)? = nil, as _: Output.Type = Output.self,
        onMessage: @escaping @Sendable (Output) async throws -> Void
    ) async throws {
        let target = try target.get()
        let outgoing = Metadata.propagated(client: Metadata.outgoing, server: RequestContext.current?.metadata)
        var headers = Headers()
        for (key, value) in outgoing { headers.add(key, value) }
        let context = RequestContext(kind: .http, endpoint: configuration.endpoint, operation: operation, requestHeaders: headers,
                                     metadata: outgoing, deadline: .now + configuration.timeout)
        let limit = configuration.maxReplySize
        let chain = middleware.wrap { [self] request, context in
            let streaming = try context.typed(request, as: StreamingRequest.self)
            return try await send(method, path, to: target, body: Body(value: streaming.message), context: context,
                                  accept: "text/event-stream") { response in
                try await Self.readEvents(of: response, limit: limit, as: Output.self, onMessage: onMessage)
                return StreamingReply(message: nil)
            }
        }
        _ = try await chain(StreamingRequest(message: body), context)
    }

    /// Decodes each event of `response` as it arrives; an `error` event, or a reply that is not
    /// 2xx, is thrown as its ``KratosError``; an event past `limit` bytes (`maxReplySize`) ends
    /// the stream with 502 `EVENT_TOO_LARGE`.
    private static func readEvents<Output: SwiftProtobuf.Message>(
        of response: HTTPClientResponse, limit: Int, as _: Output.Type, onMessage: @Sendable (Output) async throws -> Void
    ) async throws {
        guard (200..<300).contains(Int(response.status.code)) else {
            let bytes = Array(try await response.body.collect(upTo: limit).readableBytesView)
            throw KratosError(status: Int(response.status.code), errorBody: bytes)
        }
        var parser = ServerSentEventParser()
        for try await chunk in response.body {
            for event in parser.feed(chunk.readableBytesView) {
                guard event.name != "error" else { throw KratosError(status: 500, errorBody: Array(event.data.utf8)) }
                try await onMessage(try JSONCodec().decode(Output.self, from: Array(event.data.utf8)))
            }
            guard parser.pendingBytes <= limit else {
                throw KratosError(code: 502, reason: "EVENT_TOO_LARGE", message: "an event of the stream is larger than \(limit) bytes")
            }
        }
    }
}
