import AsyncHTTPClient
import Foundation
import Kratos
import NIOCore
import NIOHTTP1
import NIOPosix
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
        /// `http://host:port`, `https://host:port`, `direct:///h1:p1,h2:p2` or `discovery:///name`.
        public var endpoint: String
        /// The deadline for each call, including middleware.
        public var timeout: Duration
        /// The codec for request bodies (`Content-Type`) and `Accept`.
        public var codec: any Codec
        public var codecs: CodecRegistry
        /// Finds the instances of a `discovery:///name` endpoint (e.g. `EtcdRegistry`).
        public var discovery: (any Discovery)?
        /// Picks each call's node among several: weighted round robin unless set.
        public var balancer: any Balancer
        /// Narrow the nodes calls may go to, e.g. `[.version("v2")]`.
        public var filters: [NodeFilter]
        /// The largest reply body read.
        public var maxReplySize: Int

        public init(endpoint: String, timeout: Duration = .seconds(2), codec: any Codec = JSONCodec(),
                    codecs: CodecRegistry = .standard, discovery: (any Discovery)? = nil, balancer: any Balancer = WeightedRoundRobin(),
                    filters: [NodeFilter] = [], maxReplySize: Int = 16 << 20) {
            self.endpoint = endpoint
            self.timeout = timeout
            self.codec = codec
            self.codecs = codecs
            self.discovery = discovery
            self.balancer = balancer
            self.filters = filters
            self.maxReplySize = maxReplySize
        }
    }

    public let configuration: Configuration
    let middleware: MiddlewareChain
    private let client: HTTPClient
    /// The nodes calls go to, or why the endpoint names none.
    let target: Result<ClientTarget, KratosError>

    /// - Parameter client: the AsyncHTTPClient to send with; default the shared one.
    ///
    /// An endpoint naming no address makes every call fail with 400 `BAD_ENDPOINT`.
    public init(_ configuration: Configuration, middleware: [any Middleware] = [], client: HTTPClient = .shared) {
        self.configuration = configuration
        self.middleware = MiddlewareChain(middleware)
        self.client = client
        target = Result {
            try ClientTarget(endpoint: configuration.endpoint, schemes: ["http", "https"], discovery: configuration.discovery,
                             balancer: configuration.balancer, filters: configuration.filters)
        }.mapError { KratosError($0) }
    }

    deinit {
        if case .success(let target) = target { target.close() }
    }

    /// Calls `path` (with any query already in it) and decodes the reply as `Output`.
    /// - Parameters:
    ///   - body: the request message or value to send as the body, for verbs that have one.
    ///   - responseField: the JSON name of the reply field the body holds (a `response_body`
    ///     naming a non-message field); the reply is `Output` with that field set.
    public func invoke<Output: Sendable>(_ method: HTTPMethod, _ path: String, operation: String,
                               body: (any Sendable)? = nil, responseField: String? = nil,
                               as output: Output.Type = Output.self) async throws -> Output {
        let target = try target.get()
        let outgoing = Metadata.propagated(client: Metadata.outgoing, server: RequestContext.current?.metadata)
        var headers = Headers()
        for (key, value) in outgoing { headers.add(key, value) }
        let context = RequestContext(kind: .http, endpoint: configuration.endpoint, operation: operation, requestHeaders: headers,
                                     metadata: outgoing, deadline: .now + configuration.timeout)
        let chain = middleware.wrap { [self] request, context in
            try await self.send(method, path, to: target, body: context.typed(request, as: Body.self), context: context) { response in
                try await self.decode(response, responseField: responseField, output: Output.self)
            }
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

    /// Sends the request to a node of `target`; a node that cannot be reached is skipped for a
    /// while and the request goes to another (nothing reached the first, so nothing is repeated).
    /// `read` reads the reply; `accept` is what the request asks for (default the codec's type).
    func send(_ method: HTTPMethod, _ path: String, to target: ClientTarget, body: Body?, context: RequestContext, accept: String? = nil,
              read: (HTTPClientResponse) async throws -> any Sendable) async throws -> any Sendable {
        var request = HTTPClientRequest(url: path)
        request.method = method
        for (name, value) in context.requestHeaders.fields { request.headers.add(name: name, value: value) }
        for (name, value) in context.outgoingHeaders.fields { request.headers.replaceOrAdd(name: name, value: value) }
        request.headers.add(name: "accept", value: accept ?? configuration.codec.contentType)
        if let value = body?.value {
            request.headers.add(name: "content-type", value: configuration.codec.contentType)
            request.body = .bytes(ByteBuffer(bytes: try configuration.codec.encode(value)))
        }
        var tried: Set<String> = []
        while true {
            let picked = try await target.select(waitingUpTo: max(context.deadline.map { $0 - .now } ?? configuration.timeout, .zero),
                                                 excluding: tried)
            request.url = picked.node.endpoint + path
            let response: HTTPClientResponse
            do {
                let left = context.deadline.map { max($0 - .now, .zero) } ?? configuration.timeout
                response = try await client.execute(request, timeout: .nanoseconds(left.saturatingNanoseconds))
            } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout {
                picked.done(.failed)
                throw KratosError.gatewayTimeout("TIMEOUT", "\(method.rawValue) \(request.url) timed out").with(cause: error)
            } catch {
                picked.done(.unreachable)
                tried.insert(picked.node.endpoint)
                // Made again elsewhere when nothing reached the node, or when the method is
                // idempotent and a reused connection was dropped (a server closing idle
                // connections as it stops), as Go's transport does.
                let retry = Self.neverConnected(error) || (Self.idempotent.contains(method) && Self.connectionDropped(error))
                if retry, tried.count < min(3, target.selector.all.count) { continue }
                throw KratosError.serviceUnavailable("UNAVAILABLE", "\(method.rawValue) \(request.url): \(error)").with(cause: error)
            }
            picked.done((500...).contains(Int(response.status.code)) ? .failed : .success)
            return try await read(response)
        }
    }

    static let idempotent: [HTTPMethod] = [.GET, .HEAD, .OPTIONS, .TRACE, .PUT, .DELETE]

    /// Whether `error` says the connection closed under the request.
    private static func connectionDropped(_ error: any Error) -> Bool {
        if let error = error as? HTTPClientError, error == .remoteConnectionClosed { return true }
        if let error = error as? IOError, [ECONNRESET, EPIPE].contains(error.errnoCode) { return true }
        if let error = error as? ChannelError, error == .ioOnClosedChannel || error == .eof || error == .outputClosed { return true }
        return false
    }

    /// Whether `error` says the connection was never made (the request did not leave).
    private static func neverConnected(_ error: any Error) -> Bool {
        if error is NIOConnectionError { return true }
        if case .connectTimeout = error as? ChannelError { return true }
        if let error = error as? HTTPClientError, error == .connectTimeout { return true }
        if let error = error as? IOError, [ECONNREFUSED, EHOSTUNREACH, ENETUNREACH].contains(error.errnoCode) { return true }
        return false
    }

    private func decode<Output: Sendable>(_ response: HTTPClientResponse, responseField: String?, output: Output.Type) async throws -> any Sendable {
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
}
