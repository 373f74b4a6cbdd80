import Logging
import NIOCore

/// What the server's end of HTTP/2 does differently from the client's: the peer opens the
/// streams (odd numbers, increasing), a new stream is a call unless the limit or a GOAWAY
/// refuses it, and a call's stream closes once its trailers are out.
extension GRPCServerHandler: HTTP2Endpoint {
    var logger: Logger { settings.logger }
    var lastPeerStream: UInt32 { highestStream }

    func isIdle(_ id: UInt32) -> Bool { id > highestStream }

    func received(_ headers: HeaderList, on id: UInt32, endStream: Bool) throws(H2.Failure) {
        if let stream = streams[id] {
            guard endStream else { throw .stream(id, .protocolError, "trailers without END_STREAM") }
            guard !stream.inboundClosed else { throw .stream(id, .streamClosed, "HEADERS after END_STREAM") }
            return inputEnded(stream)
        }
        guard id & 1 == 1 else { throw .connection(.protocolError, "a client's streams have odd numbers") }
        guard id > highestStream else { return }  // a stream already closed: frames in flight
        highestStream = id
        try Self.checkPseudoHeaders(headers, on: id)
        guard lifecycle.acceptsCalls, streams.count < settings.maxConcurrentStreams else {
            h2.writer.rstStream(id, .refusedStream)
            return requestFlush()
        }
        started(id, headers: headers, endStream: endStream)
    }

    /// A request is malformed (a stream error) when a pseudo-header follows a regular field or
    /// is not one a request has (RFC 9113 §8.3).
    static func checkPseudoHeaders(_ headers: HeaderList, on id: UInt32) throws(H2.Failure) {
        var regularSeen = false
        for (name, _) in headers {
            guard name.utf8.first == UInt8(ascii: ":") else {
                regularSeen = true
                continue
            }
            guard !regularSeen else { throw .stream(id, .protocolError, "pseudo-header \(name) after a regular header field") }
            guard [":method", ":scheme", ":path", ":authority"].contains(name) else {
                throw .stream(id, .protocolError, "\(name) is not a request pseudo-header")
            }
        }
    }

    func reset(_ stream: ServerStream, _ code: H2.ErrorCode) {
        close(stream)
    }

    func receivedGoAway(lastStream: UInt32, _ code: H2.ErrorCode) {
        // The client is leaving: its calls finish, then the connection closes.
        lifecycle.close()
    }

    func pingAcknowledged(_ data: UInt64) {
        lifecycle.pingAcknowledged(data)
    }

    func peerSettingsChanged() {}

    /// The trailers are out: a request still arriving is told to stop, and the stream closes.
    func sentEnd(_ stream: ServerStream) {
        if !stream.inboundClosed { h2.writer.rstStream(stream.id, .noError) }
        close(stream)
    }

    func beforeFlush() {
        writeGathered()
    }

    func close(_ stream: ServerStream) {
        guard streams.removeValue(forKey: stream.id) != nil else { return }
        abandon(stream)
        lifecycle.streamClosed(stream.id)
    }
}

extension GRPCServerHandler: ConnectionControl {
    func goAway() {
        h2.writer.goAway(lastStream: highestStream, .noError)
        requestFlush()
    }

    func sendPing(_ data: UInt64) {
        h2.writer.ping(data, ack: false)
        requestFlush()
    }

    func closeWhenFlushed() {
        guard let context else { return }
        flushNow()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.assumeIsolated().execute { bound.value.close(promise: nil) }
    }
}
