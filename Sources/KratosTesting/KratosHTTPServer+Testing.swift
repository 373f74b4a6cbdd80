import Kratos
import KratosHTTP
import NIOCore
import NIOHTTP1
import SwiftProtobuf

extension KratosHTTPServer {
    /// Drives the server in-process: each request goes straight to its router, filters,
    /// middleware and handlers (the same ones the listener uses), with no socket and no port.
    ///
    /// ```swift
    /// try await server.test { client in
    ///     let reply = try await client.call(.GET, "/helloworld/kratos", as: HelloReply.self)
    ///     #expect(reply.message == "Hello kratos")
    /// }
    /// ```
    public func test<Result>(_ body: (HTTPTestClient) async throws -> Result) async rethrows -> Result {
        try await body(HTTPTestClient(server: self))
    }
}

/// Sends requests to an ``KratosHTTPServer`` in-process; see ``KratosHTTPServer/test(_:)``.
public struct HTTPTestClient: Sendable {
    let server: KratosHTTPServer

    /// Sends a request and returns the reply as the server wrote it.
    /// - Parameters:
    ///   - uri: path and query, e.g. `/v1/books?page=2`.
    ///   - body: the body's bytes; give its `content-type` in `headers`.
    public func execute(_ method: HTTPMethod, _ uri: String, headers: HTTPHeaders = [:], body: [UInt8]? = nil) async -> HTTPTestResponse {
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: uri, headers: headers)
        if let body { head.headers.replaceOrAdd(name: "content-length", value: String(body.count)) }
        let response = await server.respondInProcess(head, body: body.map { ByteBuffer(bytes: $0) })
        return HTTPTestResponse(status: response.status, headers: response.headers,
                                body: response.body.map { Array($0.readableBytesView) } ?? [])
    }

    /// Sends `message` (if any) as JSON and decodes a 2xx reply as `Output`.
    /// - Throws: the ``KratosError`` a non-2xx reply carries.
    public func call<Output: SwiftProtobuf.Message>(
        _ method: HTTPMethod, _ uri: String, body message: (any SwiftProtobuf.Message)? = nil,
        headers: HTTPHeaders = [:], as _: Output.Type = Output.self
    ) async throws -> Output {
        var headers = headers
        let body = try message.map { try JSONCodec().encode($0) }
        if body != nil { headers.replaceOrAdd(name: "content-type", value: "application/json") }
        let response = await execute(method, uri, headers: headers, body: body)
        if let error = response.error { throw error }
        return try response.decode(Output.self)
    }
}

/// A reply from an in-process request.
public struct HTTPTestResponse: Sendable {
    public let status: HTTPResponseStatus
    public let headers: HTTPHeaders
    public let body: [UInt8]

    /// The body as UTF-8 text.
    public var text: String { String(decoding: body, as: UTF8.self) }

    /// The body decoded with the codec its `content-type` names (JSON when it names none).
    public func decode<M: SwiftProtobuf.Message>(_ type: M.Type) throws -> M {
        let codec = headers.first(name: "content-type").flatMap(CodecRegistry.standard.codec(forContentType:)) ?? JSONCodec()
        return try codec.decode(type, from: body)
    }

    /// The error the reply carries when its status is 400 or above.
    public var error: KratosError? {
        guard status.code >= 400 else { return nil }
        let codec = headers.first(name: "content-type").flatMap(CodecRegistry.standard.codec(forContentType:)) ?? JSONCodec()
        return KratosError(status: Int(status.code), errorBody: body, codec: codec)
    }
}
