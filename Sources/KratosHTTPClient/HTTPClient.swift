import AsyncHTTPClient
import Foundation
import Kratos
import NIOCore
import NIOHTTP1
import SwiftProtobuf

/// An HTTP client for Kratos services on AsyncHTTPClient: runs client middleware, sends the
/// metadata to propagate, encodes the request with its codec, and decodes error replies into
/// ``KratosError``.
///
/// ```swift
/// let client = KratosHTTPClient(.init(endpoint: "http://127.0.0.1:8000"))
/// let reply: HelloReply = try await client.invoke(.GET, "/helloworld/kratos",
///                                                 operation: "/helloworld.v1.Greeter/SayHello")
/// ```
public final class KratosHTTPClient: Sendable {
    public struct Configuration: Sendable {
        /// `http://host:port`, `https://host:port`, or `discovery:///name`.
        public var endpoint: String
        /// The deadline for each call, including middleware.
        public var timeout: Duration
        /// The codec for request bodies (`Content-Type`) and `Accept`.
        public var codec: any Codec
        public var codecs: CodecRegistry
        public var resolver: (any EndpointResolver)?
        /// The largest reply body read.
        public var maxReplySize: Int

        public init(endpoint: String, timeout: Duration = .seconds(2), codec: any Codec = JSONCodec(),
                    codecs: CodecRegistry = .standard, resolver: (any EndpointResolver)? = nil, maxReplySize: Int = 16 << 20) {
            self.endpoint = endpoint
            self.timeout = timeout
            self.codec = codec
            self.codecs = codecs
            self.resolver = resolver
            self.maxReplySize = maxReplySize
        }
    }

    public let configuration: Configuration
    private let middleware: MiddlewareChain
    private let client: HTTPClient

    /// - Parameter client: the AsyncHTTPClient to send with; default the shared one.
    public init(_ configuration: Configuration, middleware: [any Middleware] = [], client: HTTPClient = .shared) {
        self.configuration = configuration
        self.middleware = MiddlewareChain(middleware)
        self.client = client
    }

    /// Calls `path` (with any query already in it) and decodes the reply as `Output`.
    /// - Parameters:
    ///   - body: the request message or value to send as the body, for verbs that have one.
    ///   - responseField: the JSON name of the reply field the body holds (a `response_body`
    ///     naming a non-message field); the reply is `Output` with that field set.
    public func invoke<Output: Sendable>(_ method: HTTPMethod, _ path: String, operation: String,
                               body: (any Sendable)? = nil, responseField: String? = nil,
                               as output: Output.Type = Output.self) async throws -> Output {
        let endpoint = try await resolvedEndpoint()
        let outgoing = Metadata.propagated(client: Metadata.outgoing, server: RequestContext.current?.metadata)
        var headers = Headers()
        for (key, value) in outgoing { headers.add(key, value) }
        let context = RequestContext(kind: .http, endpoint: endpoint, operation: operation, requestHeaders: headers,
                                     metadata: outgoing, deadline: .now + configuration.timeout)
        let chain = middleware.wrap { [self] request, context in
            try await self.send(method, endpoint + path, body: context.typed(request, as: Body.self), context: context,
                                 responseField: responseField, output: Output.self)
        }
        return try context.typed(try await chain(Body(value: body), context), as: Output.self, role: "reply")
    }

    /// `value` percent-encoded for a path segment; `/` kept for `{var=a/*}` variables.
    public static func escape(_ value: String, keepingSlashes: Bool = false) -> String {
        var allowed = CharacterSet.urlPathAllowed
        if !keepingSlashes { allowed.remove("/") }
        allowed.remove(charactersIn: "?#%")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// `?k=v&…` for the fields of `message` not bound in the path, as a go-kratos server binds
    /// them back (``FormCodec/encodeMessage(_:)``); empty when none.
    public static func query(_ message: some SwiftProtobuf.Message, excluding bound: Set<String>) -> String {
        guard let parameters = try? FormCodec.encodeMessage(message) else { return "" }
        let pairs = parameters.pairs.filter { !bound.contains($0.key) }
        return pairs.isEmpty ? "" : "?" + QueryParameters(pairs).encoded
    }

    /// The request as middleware sees it: the optional body value.
    public struct Body: Sendable {
        public let value: (any Sendable)?
    }

    private func send<Output: Sendable>(_ method: HTTPMethod, _ url: String, body: Body?, context: RequestContext,
                              responseField: String?, output: Output.Type) async throws -> any Sendable {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in context.requestHeaders.fields { request.headers.add(name: name, value: value) }
        for (name, value) in context.outgoingHeaders.fields { request.headers.replaceOrAdd(name: name, value: value) }
        request.headers.add(name: "accept", value: configuration.codec.contentType)
        if let value = body?.value {
            request.headers.add(name: "content-type", value: configuration.codec.contentType)
            request.body = .bytes(ByteBuffer(bytes: try configuration.codec.encode(value)))
        }
        let response: HTTPClientResponse
        do {
            response = try await client.execute(request, timeout: .nanoseconds(configuration.timeout.saturatingNanoseconds))
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
            throw KratosError.gatewayTimeout("TIMEOUT", "\(method.rawValue) \(url) timed out").with(cause: error)
        } catch {
            throw KratosError.serviceUnavailable("UNAVAILABLE", "\(method.rawValue) \(url): \(error)").with(cause: error)
        }
        let bytes = Array(try await response.body.collect(upTo: configuration.maxReplySize).readableBytesView)
        let codec = response.headers.first(name: "content-type").flatMap(configuration.codecs.codec(forContentType:)) ?? configuration.codec
        guard (200..<300).contains(Int(response.status.code)) else {
            throw KratosError(status: Int(response.status.code), errorBody: bytes, codec: codec)
        }
        if Output.self == Void.self { return () }
        if let responseField, let messageType = Output.self as? any SwiftProtobuf.Message.Type {
            guard let json = codec as? JSONCodec else {
                throw KratosError.codec("a reply holding only field \(responseField) needs JSON, not \(codec.contentType)")
            }
            return try json.decode(messageType, field: responseField, from: bytes)
        }
        return try codec.decode(Output.self, from: bytes) as any Sendable
    }

    private func resolvedEndpoint() async throws -> String {
        let endpoint = configuration.endpoint
        guard endpoint.hasPrefix("discovery:///") else { return endpoint }
        let name = String(endpoint.dropFirst("discovery:///".count))
        guard let resolver = configuration.resolver else {
            throw KratosError.serviceUnavailable("NODE_NOT_FOUND", "no resolver configured for \(endpoint)")
        }
        return try await resolver.resolve(service: name)
    }
}
