import Kratos
import NIOCore
import NIOHTTP1
import SwiftProtobuf

/// A request as a route handler sees it: head, body, path variables, the request context, and
/// the codecs to decode and encode with. A class, so handing it through filters, middleware and
/// closures costs one reference, not a copy of every field.
public final class HTTPRequest: Sendable {
    public let method: HTTPMethod
    /// The request target as sent: path and query.
    public let uri: String
    public let headers: HTTPHeaders
    /// The whole body; nil when the request had none.
    public let body: ByteBuffer?
    /// Variables captured by the route's path template, in template order.
    public let pathParameters: [(name: String, value: String)]
    public let context: RequestContext
    public let codecs: CodecRegistry
    /// The path, without the query.
    public let path: Substring
    /// Where a streaming route writes its reply as it goes; nil for other routes and in process.
    let responseStream: ResponseStream?
    /// The upgrade a WebSocket route accepts; nil for other routes and in process.
    let webSocket: WebSocketUpgrade?

    init(method: HTTPMethod, uri: String, path: Substring, headers: HTTPHeaders, body: ByteBuffer?,
         pathParameters: [(name: String, value: String)], context: RequestContext, codecs: CodecRegistry,
         responseStream: ResponseStream? = nil, webSocket: WebSocketUpgrade? = nil) {
        self.method = method
        self.uri = uri
        self.path = path
        self.headers = headers
        self.body = body
        self.pathParameters = pathParameters
        self.context = context
        self.codecs = codecs
        self.responseStream = responseStream
        self.webSocket = webSocket
    }

    /// The raw query string (without `?`), empty when there is none.
    public var queryString: Substring {
        path.endIndex < uri.endIndex ? uri[uri.utf8.index(after: path.endIndex)...] : ""
    }

    /// `uri` up to the first `?`, found on the UTF-8 view.
    static func path(of uri: String) -> Substring {
        // Searched in the contiguous bytes (a native string's): a generic search steps through
        // String indices one at a time.
        guard let end = uri.utf8.withContiguousStorageIfAvailable({ $0.firstIndex(of: UInt8(ascii: "?")) ?? $0.count }) else {
            return uri[..<(uri.utf8.firstIndex(of: UInt8(ascii: "?")) ?? uri.endIndex)]
        }
        return uri[..<uri.utf8.index(uri.startIndex, offsetBy: end)]
    }

    public var query: QueryParameters { QueryParameters(parsing: queryString) }

    /// The value of path variable `name`.
    public func pathParameter(_ name: String) -> String? {
        pathParameters.first { $0.name == name }?.value
    }

    var bodyBytes: [UInt8] { body.map { Array($0.readableBytesView) } ?? [] }

    /// The body decoded with the codec its `Content-Type` names. An empty body decodes as an empty
    /// message (for SwiftProtobuf types) and needs no `Content-Type`.
    /// - Throws: 400 `CODEC` for a missing or unknown `Content-Type` or a malformed body.
    public func decodeBody<T>(_ type: T.Type) throws -> T {
        if (body?.readableBytes ?? 0) == 0, let messageType = type as? any SwiftProtobuf.Message.Type,
           let empty = messageType.init() as? T {
            return empty
        }
        guard let contentType = headers.first(name: "content-type") else {
            throw KratosError.codec("the request has a body but no Content-Type")
        }
        guard let codec = codecs.codec(forContentType: contentType) else {
            throw KratosError.codec("unsupported Content-Type \(contentType)")
        }
        return try codec.decode(type, from: bodyBytes)
    }

    /// Merges the query parameters into `message` (see ``MessageBinding``).
    public func bindQuery<M: SwiftProtobuf.Message>(_ message: inout M) throws {
        let query = queryString
        guard !query.isEmpty else { return }
        try MessageBinding.bind(QueryParameters(parsing: query), into: &message)
    }

    /// The codec for the reply, from `Accept` (else JSON), with the media type to label it.
    public var replyCodec: CodecRegistry.Choice {
        codecs.reply(forAccept: headers.first(name: "accept"))
    }
}

/// A reply on the wire.
public struct HTTPResponse: Sendable {
    public var status: HTTPResponseStatus
    public var headers: HTTPHeaders
    public var body: ByteBuffer?

    public init(status: HTTPResponseStatus = .ok, headers: HTTPHeaders = [:], body: ByteBuffer? = nil) {
        self.status = status
        self.headers = headers
        self.body = body
    }
}

extension HTTPHeaders: HeaderFields {
    public func first(_ name: String) -> String? { first(name: name) }
    public func values(_ name: String) -> [String] { self[name] }
    public var fields: [(name: String, value: String)] { map { (name: $0.name, value: $0.value) } }
}
