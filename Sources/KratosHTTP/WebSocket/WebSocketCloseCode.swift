import Kratos

/// The close codes a WebSocket stream ends with (RFC 6455 §7.4), and how a Kratos error travels
/// in a close frame.
///
/// - 1000: the stream ended normally (the handler returned).
/// - 1001: the server is stopping (reason: the 503 `SERVER_STOPPING` error body).
/// - 1002: the client broke the protocol (unmasked or unknown frames, a continuation without a
///   message, a new message inside a fragmented one, a message after the end marker).
/// - 1009: a message (after reassembling its fragments) was larger than the limit.
/// - 4000 + code for an error a handler or middleware threw with a Kratos code 100…599: 4400 for
///   400, 4401, 4404, 4429, 4500, 4503, …; the reason is the Kratos error body.
/// - 1011: any other error (a code outside 100…599).
enum WebSocketCloseCode {
    static let normal: UInt16 = 1000
    static let goingAway: UInt16 = 1001
    static let protocolError: UInt16 = 1002
    static let messageTooLarge: UInt16 = 1009
    static let internalError: UInt16 = 1011

    /// The most bytes a close frame's reason may have (a control frame carries 125, the code two).
    static let maxReason = 123

    /// The close code carrying `error`.
    static func code(for error: KratosError) -> UInt16 {
        (100...599).contains(error.code) ? UInt16(4000 + error.code) : internalError
    }

    /// The error body `{"code":…,"reason":…,"message":…,"metadata":{…}}` as the close reason, in
    /// at most 123 bytes and always valid JSON: whole when it fits, else without metadata, else
    /// with the message shortened (then the reason), down to `{"code":…}`.
    static func reason(for error: KratosError) -> [UInt8] {
        let whole = error.jsonBody()
        if whole.count <= maxReason { return whole }
        // Each character costs at least one byte, so longer texts never fit.
        var shorter = KratosError(code: error.code, reason: String(error.reason.prefix(maxReason)),
                                  message: String(error.message.prefix(maxReason)))
        while shorter.jsonBody().count > maxReason, !shorter.message.isEmpty {
            shorter.message.removeLast()
        }
        while shorter.jsonBody().count > maxReason, !shorter.reason.isEmpty {
            shorter.reason.removeLast()
        }
        let body = shorter.jsonBody()
        return body.count <= maxReason ? body : Array("{\"code\":\(error.code)}".utf8)
    }
}
