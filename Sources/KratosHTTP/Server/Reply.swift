import Kratos
import NIOCore
import NIOHTTP1

/// Turning replies and errors into ``HTTPResponse``s: the codec `Accept` asks for, the context's
/// reply headers, and the Kratos error body.
enum Reply {
    /// `reply` encoded with the codec `Accept` asks for.
    static func encode(_ reply: any Sendable, for request: HTTPRequest) throws -> HTTPResponse {
        let codec = request.replyCodec
        return response(try codec.encode(reply), codec: codec, context: request.context)
    }

    /// A reply with `bytes` as the body, the codec's content type, and the context's reply headers.
    static func response(_ bytes: [UInt8], codec: any Codec, status: HTTPResponseStatus = .ok,
                         context: RequestContext?) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: codec.contentType)
        context?.forEachReplyHeader { headers.add(name: $0, value: $1) }
        return HTTPResponse(status: status, headers: headers, body: ByteBuffer(bytes: bytes))
    }

    /// The error body `{"code":…,"reason":…,"message":…,"metadata":{…}}` with the status `code`,
    /// in the codec `Accept` asks for (JSON when that codec cannot write it).
    static func error(_ error: any Error, for request: HTTPRequest) -> HTTPResponse {
        self.error(error, accept: request.headers.first(name: "accept"), codecs: request.codecs, context: request.context)
    }

    /// The error reply for a request known only by its head (refused before it was routed):
    /// `accept` picks the codec, and there are no reply headers.
    static func error(_ error: any Error, accept: String?, codecs: CodecRegistry, context: RequestContext? = nil) -> HTTPResponse {
        let kratos = KratosError(error)
        var codec = codecs.codec(forAccept: accept)
        let bytes: [UInt8]
        if codec.name != "json",
           let encoded = try? codec.encode(ErrorBody(code: kratos.code, reason: kratos.reason, message: kratos.message,
                                                     metadata: kratos.metadata)) {
            bytes = encoded
        } else {
            codec = JSONCodec()
            bytes = kratos.jsonBody()
        }
        let status = (100...599).contains(kratos.code) ? HTTPResponseStatus(statusCode: kratos.code) : .internalServerError
        return response(bytes, codec: codec, status: status, context: context)
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
