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
    /// One Server-Sent Event: its name (`message` unless the event named one) and its data lines
    /// joined by newlines.
    public struct Event: Sendable, Equatable {
        public let name: String
        public let data: String

        public init(name: String, data: String) {
            self.name = name
            self.data = data
        }
    }

    /// The body read as Server-Sent Events (`text/event-stream`), in order.
    public var events: [Event] {
        var events: [Event] = []
        var name: String?
        var data: [Substring] = []
        for rawLine in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.isEmpty {
                if !data.isEmpty { events.append(Event(name: name ?? "message", data: data.joined(separator: "\n"))) }
                name = nil
                data = []
                continue
            }
            guard !line.hasPrefix(":") else { continue }
            let field = line.prefix { $0 != ":" }
            var value = line.dropFirst(field.count).dropFirst()
            if value.hasPrefix(" ") { value = value.dropFirst() }
            switch field {
            case "event": name = String(value)
            case "data": data.append(value)
            default: break
            }
        }
        return events
    }
}
