import Kratos
import KratosHTTP
import NIOHTTP1
import SwiftProtobuf

extension HTTPTestClient {
    /// Calls a server-streaming route (Server-Sent Events) and decodes its messages, in order.
    ///
    /// ```swift
    /// let letters = try await client.stream(.GET, "/helloworld/abc/spell", as: HelloReply.self)
    /// ```
    /// - Throws: the ``KratosError`` of a final `event: error`, or of a request refused before
    ///   the stream started.
    public func stream<Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod, _ uri: String, body message: (any SwiftProtobuf.Message)? = nil,
        headers: HTTPHeaders = [:], as _: Output.Type = Output.self
    ) async throws -> [Output] {
        var headers = headers
        let body = try message.map { try JSONCodec().encode($0) }
        if body != nil { headers.replaceOrAdd(name: "content-type", value: "application/json") }
        let response = await execute(method, uri, headers: headers, body: body)
        if let error = response.error { throw error }
        return try response.events.map { event in
            guard event.name != "error" else {
                throw KratosError(status: 500, errorBody: Array(event.data.utf8))
            }
            return try JSONCodec().decode(Output.self, from: Array(event.data.utf8))
        }
    }
}

extension HTTPTestResponse {
    /// The body read as Server-Sent Events (`text/event-stream`), in order.
    public var events: [ServerSentEvent] {
        var parser = ServerSentEventParser()
        return parser.feed(body)
    }
}
