import Kratos
import NIOCore
import NIOHTTP1

/// Turning replies and errors into ``HTTPResponse``s: the codec `Accept` asks for, the context's
/// reply headers, and the Kratos error body.
enum Reply {
    /// `reply` encoded with the codec `Accept` asks for.
    static func encode(_ reply: any Sendable, for request: HTTPRequest) throws -> HTTPResponse {
        let choice = request.replyCodec
        return response(try choice.codec.encode(reply), contentType: choice.contentType, context: request.context)
    }

    /// A reply with `bytes` as the body, labelled `contentType`, and the context's reply headers.
    static func response(_ bytes: [UInt8], contentType: String, status: HTTPResponseStatus = .ok,
                         context: RequestContext?) -> HTTPResponse {
        var headers = contentType == "application/json" ? jsonHeaders : ["content-type": contentType]
        context?.forEachReplyHeader { headers.add(name: $0, value: $1) }
        return HTTPResponse(status: status, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    /// The headers of most replies, made once (making them checks each name byte by byte).
    private static let jsonHeaders: HTTPHeaders = ["content-type": "application/json"]

    /// The error body `{"code":…,"reason":…,"message":…,"metadata":{…}}` with the status `code`,
    /// in the codec `Accept` asks for (JSON when that codec cannot write it).
    static func error(_ error: any Error, for request: HTTPRequest) -> HTTPResponse {
        self.error(error, accept: request.headers.first(name: "accept"), codecs: request.codecs, context: request.context)
    }

    /// The error reply for a request known only by its head (refused before it was routed):
    /// `accept` picks the codec, and there are no reply headers.
    static func error(_ error: any Error, accept: String?, codecs: CodecRegistry, context: RequestContext? = nil) -> HTTPResponse {
        let kratos = KratosError(error)
        let choice = codecs.reply(forAccept: accept)
        let bytes: [UInt8]
        var contentType = choice.contentType
        if choice.codec.name != "json",
           let encoded = try? choice.codec.encode(ErrorBody(code: kratos.code, reason: kratos.reason, message: kratos.message,
                                                            metadata: kratos.metadata)) {
            bytes = encoded
        } else {
            // JSON by hand, labelled as asked when JSON was asked (application/protojson too).
            if choice.codec.name != "json" { contentType = JSONCodec().contentType }
            bytes = kratos.jsonBody()
        }
        let status = (100...599).contains(kratos.code) ? HTTPResponseStatus(statusCode: kratos.code) : .internalServerError
        return response(bytes, contentType: contentType, status: status, context: context)
    }
}

/// The error body, field for field as go-kratos writes it (for codecs other than JSON, which
/// writes it by hand in go-kratos's member order).
struct ErrorBody: Codable, Sendable {
    var code: Int
    var reason: String
    var message: String
    var metadata: [String: String]
}
