import Kratos
import NIOCore
import NIOHTTP1
import SwiftProtobuf

/// Where a typed route's body goes: `body: ""` (none; the query binds instead), `body: "*"`
/// (the whole request message), or `body: "field"` (one field, then the query binds the rest).
public enum BodyBinding<Input: SwiftProtobuf.Message>: Sendable {
    case none
    case all
    /// Decodes the body into one field of the input.
    case field(@Sendable (inout Input, HTTPRequest) throws -> Void)
    /// The input is `google.api.HttpBody`: the raw body as its `data`, the request's
    /// `Content-Type` as its `content_type` (any media type; nothing is decoded). Such a route
    /// accepts bodies up to ``KratosHTTPServer/Configuration/maxHTTPBodySize``.
    case httpBody
}

/// The part of a reply sent as the body (`response_body`), when not all of it.
public enum ResponseBody<Output: SwiftProtobuf.Message>: Sendable {
    /// A message field: encoded on its own with the codec `Accept` asks for.
    case message(@Sendable (Output) -> any SwiftProtobuf.Message)
    /// Any other field (a scalar, a repeated field, a map), by its JSON name: in JSON, the
    /// field's protojson value (as go-kratos sends it); in other codecs, the value's own
    /// encoding where the codec has one.
    case field(String, @Sendable (Output) -> any Sendable)
    /// The reply is `google.api.HttpBody`: its `data` is the body as it is, labelled with its
    /// `content_type` (`application/octet-stream` when empty), whatever `Accept` says.
    case httpBody
}

/// The step a typed route (the kind generated code registers) takes for each request: bind the
/// request into `Input`, run the middleware chain around the handler, encode the reply.
///
/// A class: the route's closures are generic code that is not specialised, where a struct of
/// these generic parameters would have its metadata looked up on every request, and an object
/// carries it.
final class TypedRoute<Input: SwiftProtobuf.Message, Output: SwiftProtobuf.Message>: Sendable {
    let body: BodyBinding<Input>
    /// The route's path variables, resolved to fields once.
    let variables: MessageBinding.Prepared<Input>
    /// The part of the reply sent as the body (`response_body`), when not all of it.
    let responseBody: ResponseBody<Output>?

    init(body: BodyBinding<Input>, variables: MessageBinding.Prepared<Input>, responseBody: ResponseBody<Output>?) {
        self.body = body
        self.variables = variables
        self.responseBody = responseBody
    }

    func respond(to request: HTTPRequest, through chain: Middleware.Handler) async throws -> HTTPResponse {
        let input = try bind(request)
        let reply = try await chain(input, request.context)
        return try encode(reply, for: request)
    }

    /// The body as `body` says, then the query, then the path variables, which win.
    func bind(_ request: HTTPRequest) throws -> Input {
        var input: Input
        switch body {
        case .none:
            input = Input()
            try request.bindQuery(&input)
        case .all:
            input = try request.decodeBody(Input.self)
        case .field(let bind):
            input = Input()
            try bind(&input, request)
            try request.bindQuery(&input)
        case .httpBody:
            // The message has no other fields for the query or path variables to bind.
            return try HTTPBody.message(Input.self, contentType: request.headers.first(name: "content-type") ?? "", body: request.body)
        }
        if !request.pathParameters.isEmpty {
            try variables.bind(request.pathParameters, into: &input)
        }
        return input
    }

    /// The reply (or the part `responseBody` picks) with the codec `Accept` asks for; a
    /// middleware's reply of another type goes through the codec's generic encoding.
    func encode(_ reply: any Sendable, for request: HTTPRequest) throws -> HTTPResponse {
        try withExactly(reply, as: Output.self, { try encode(output: $0, for: request) }) { reply in
            if let output = reply as? Output { return try encode(output: output, for: request) }
            return try Reply.encode(reply, for: request)
        }
    }

    private func encode(output: Output, for request: HTTPRequest) throws -> HTTPResponse {
        let choice = request.replyCodec
        switch responseBody {
        case .message(let part)?:
            return try Reply.encode(part(output), for: request)
        case .field(let name, let value)?:
            let bytes = if let json = choice.codec as? JSONCodec {
                try json.encode(field: name, of: output)
            } else {
                try choice.codec.encode(value(output))
            }
            return Reply.response(bytes, contentType: choice.contentType, context: request.context)
        case .httpBody?:
            let (contentType, data) = try HTTPBody.parts(of: output)
            var headers = HTTPHeaders()
            headers.add(name: "content-type", value: contentType.isEmpty ? "application/octet-stream" : contentType)
            request.context.forEachReplyHeader { headers.add(name: $0, value: $1) }
            // One copy, from the message's storage into the reply's buffer.
            var body = ByteBuffer()
            body.reserveCapacity(data.count)
            data.withUnsafeBytes { _ = body.writeBytes($0) }
            return HTTPResponse(status: .ok, headers: headers, body: body)
        case nil:
            break
        }
        return Reply.response(try choice.codec.encode(message: output), contentType: choice.contentType, context: request.context)
    }
}
