import Foundation
import Kratos
import NIOHTTP1

/// The server's half of the WebSocket opening handshake (RFC 6455 §4.2): whether a request asks
/// for one, and the `Sec-WebSocket-Accept` value that answers it.
enum WebSocketHandshake {
    /// The GUID RFC 6455 appends to the client's key.
    static let guid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// `base64(SHA-1(key + GUID))`.
    static func acceptValue(for key: String) -> String {
        Data(SHA1.digest(Array((key + guid).utf8))).base64EncodedString()
    }

    /// The accept value for a valid handshake request.
    /// - Throws: 426 `UPGRADE_REQUIRED` when the request does not ask for a WebSocket (a plain
    ///   GET, or another `Sec-WebSocket-Version` than 13); 400 `BAD_HANDSHAKE` when it asks but
    ///   is malformed (not GET, a missing or malformed `Sec-WebSocket-Key`).
    static func accept(method: HTTPMethod, headers: HTTPHeaders) throws -> String {
        guard has(token: "websocket", in: headers["upgrade"]), has(token: "upgrade", in: headers["connection"]) else {
            throw KratosError(code: 426, reason: "UPGRADE_REQUIRED", message: "this route is a WebSocket stream: send a WebSocket handshake")
        }
        guard headers["sec-websocket-version"].count == 1, headers.first(name: "sec-websocket-version") == "13" else {
            throw KratosError(code: 426, reason: "UPGRADE_REQUIRED", message: "only WebSocket version 13 is supported")
        }
        guard method == .GET else {
            throw KratosError.badRequest("BAD_HANDSHAKE", "a WebSocket handshake is a GET")
        }
        let keys = headers["sec-websocket-key"]
        guard keys.count == 1, let key = keys.first?.trimmingCharacters(in: .whitespaces),
              Data(base64Encoded: key)?.count == 16 else {
            throw KratosError.badRequest("BAD_HANDSHAKE", "Sec-WebSocket-Key must be 16 bytes in base64")
        }
        return acceptValue(for: key)
    }

    /// Whether a comma-separated header (any of its lines) lists `token`, case-insensitively.
    static func has(token: String, in values: [String]) -> Bool {
        values.contains { value in
            value.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces).lowercased() == token }
        }
    }

    /// The reply refusing a handshake: the error body with its status, `upgrade: websocket` and
    /// `sec-websocket-version: 13` (what the route speaks), and `connection: close` (the request
    /// decoder stops parsing after an upgrade request, so nothing more can be read).
    static func refusal(_ error: any Error, for request: HTTPRequest) -> HTTPResponse {
        var response = Reply.error(error, for: request)
        response.headers.replaceOrAdd(name: "upgrade", value: "websocket")
        response.headers.replaceOrAdd(name: "sec-websocket-version", value: "13")
        response.headers.replaceOrAdd(name: "connection", value: "close")
        return response
    }
}
