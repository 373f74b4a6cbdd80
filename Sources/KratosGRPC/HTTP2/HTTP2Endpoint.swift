import Logging
import NIOCore

/// One end of an HTTP/2 connection carrying gRPC: the frames both ends handle alike (SETTINGS,
/// PING, WINDOW_UPDATE, CONTINUATION, padding, both directions of flow control, errors and
/// flushing) are implemented here once; the server and client handlers supply what differs.
protocol HTTP2Endpoint: AnyObject {
    associatedtype Stream: HTTP2Stream

    var context: ChannelHandlerContext? { get }
    var h2: HTTP2ConnectionState { get set }
    var streams: [UInt32: Stream] { get }
    var logger: Logger { get }
    /// The last stream the peer opened, named by a GOAWAY we send.
    var lastPeerStream: UInt32 { get }

    /// A stream number that was never opened (frames on it are a connection error).
    func isIdle(_ id: UInt32) -> Bool
    /// A whole header block, decoded.
    func received(_ headers: HeaderList, on id: UInt32, endStream: Bool) throws(H2.Failure)
    /// DATA content on an open stream (the connection window already counted; `flowLength`, the
    /// frame's length with padding, is what counts against the stream's).
    func received(_ data: ByteBuffer, flowLength: Int, endStream: Bool, on stream: Stream) throws(H2.Failure)
    /// The peer reset the stream, or a stream error ended it.
    func reset(_ stream: Stream, _ code: H2.ErrorCode)
    func receivedGoAway(lastStream: UInt32, _ code: H2.ErrorCode)
    func pingAcknowledged(_ data: UInt64)
    /// The peer's SETTINGS_INITIAL_WINDOW_SIZE or SETTINGS_MAX_CONCURRENT_STREAMS changed.
    func peerSettingsChanged()
    /// The stream's END_STREAM has been written.
    func sentEnd(_ stream: Stream)
    /// Bytes in flight per stream above which its writer waits for the socket.
    var writeHighWatermark: Int { get }
    /// Runs just before each flush: the place to write what was gathered during the turn.
    func beforeFlush()
}

extension HTTP2Endpoint {
    /// The largest header block accepted across HEADERS and CONTINUATION frames.
    static var maxHeaderBlock: Int { 64 * 1024 }

    /// Reads what arrived: every complete frame is handled; a stream error resets the stream; a
    /// connection error ends the connection.
    func read(_ bytes: ByteBuffer) {
        guard !h2.closing else { return }
        h2.reading = true
        h2.reader.append(bytes)
        do {
            while !h2.closing, let frame = try h2.reader.next() {
                do {
                    try process(frame)
                } catch where error.stream != nil {
                    streamFailed(error)
                }
            }
        } catch {
            failConnection(error)
        }
    }

    /// The read batch is over: what it wrote goes out in one flush.
    func readComplete() {
        h2.reading = false
        if h2.flushPending {
            h2.flushPending = false
            flushNow()
        }
    }

    private func process(_ frame: FrameReader.Frame) throws(H2.Failure) {
        if let (id, block, endStream) = h2.continuing {
            guard frame.type == H2.FrameType.continuation.rawValue, frame.stream == id else {
                throw .connection(.protocolError, "a header block was interrupted before its END_HEADERS")
            }
            var block = block
            var fragment = frame.payload
            guard block.readableBytes + fragment.readableBytes <= Self.maxHeaderBlock else {
                throw .connection(.enhanceYourCalm, "a header block over \(Self.maxHeaderBlock) bytes")
            }
            block.writeBuffer(&fragment)
            h2.continuing = frame.has(H2.Flag.endHeaders) ? nil : (id, block, endStream)
            if h2.continuing == nil { try headerBlock(block, on: id, endStream: endStream) }
            return
        }
        guard h2.peerSettingsSeen || (frame.type == H2.FrameType.settings.rawValue && !frame.has(H2.Flag.ack)) else {
            throw .connection(.protocolError, "the peer's first frame must be SETTINGS")
        }
        switch H2.FrameType(rawValue: frame.type) {
        case .data: try data(frame)
        case .headers: try headers(frame)
        case .priority:
            guard frame.payload.readableBytes == 5 else { throw .stream(frame.stream, .frameSizeError, "PRIORITY is 5 bytes") }
        case .rstStream: try rstStream(frame)
        case .settings: try settings(frame)
        case .ping: try ping(frame)
        case .goAway: try goAway(frame)
        case .windowUpdate: try windowUpdate(frame)
        case .pushPromise: throw .connection(.protocolError, "push is not enabled")
        case .continuation: throw .connection(.protocolError, "CONTINUATION without HEADERS before it")
        case nil: break  // unknown frame types are ignored
        }
    }

    private func headers(_ frame: FrameReader.Frame) throws(H2.Failure) {
        guard frame.stream != 0 else { throw .connection(.protocolError, "HEADERS on stream 0") }
        let block = try frame.content(priorityFields: true)
        if frame.has(H2.Flag.endHeaders) {
            return try headerBlock(block, on: frame.stream, endStream: frame.has(H2.Flag.endStream))
        }
        guard block.readableBytes <= Self.maxHeaderBlock else {
            throw .connection(.enhanceYourCalm, "a header block over \(Self.maxHeaderBlock) bytes")
        }
        h2.continuing = (frame.stream, ByteBuffer(buffer: block), frame.has(H2.Flag.endStream))
    }

    /// A whole header block, decoded always: the decoder's table must follow the peer's.
    private func headerBlock(_ block: ByteBuffer, on id: UInt32, endStream: Bool) throws(H2.Failure) {
        let headers: HeaderList
        do {
            headers = try h2.decoder.decode(block)
        } catch {
            throw .connection(.compressionError, "the header block could not be decoded: \(error)")
        }
        try received(headers, on: id, endStream: endStream)
    }

    private func data(_ frame: FrameReader.Frame) throws(H2.Failure) {
        guard frame.stream != 0 else { throw .connection(.protocolError, "DATA on stream 0") }
        let length = frame.payload.readableBytes
        h2.inbound -= length
        guard h2.inbound >= 0 else { throw .connection(.flowControlError, "DATA beyond the connection's window") }
        if h2.inbound <= h2.inboundTarget / 2 {
            h2.writer.windowUpdate(0, increment: h2.inboundTarget - h2.inbound)
            h2.inbound = h2.inboundTarget
            requestFlush()
        }
        guard let stream = streams[frame.stream] else {
            guard !isIdle(frame.stream) else { throw .connection(.protocolError, "DATA on a stream never opened") }
            return  // a stream already closed: frames in flight
        }
        try received(try frame.content(), flowLength: length, endStream: frame.has(H2.Flag.endStream), on: stream)
    }

    private func rstStream(_ frame: FrameReader.Frame) throws(H2.Failure) {
        var payload = frame.payload
        guard frame.stream != 0 else { throw .connection(.protocolError, "RST_STREAM on stream 0") }
        guard payload.readableBytes == 4, let raw = payload.readInteger(as: UInt32.self) else {
            throw .connection(.frameSizeError, "RST_STREAM is 4 bytes")
        }
        guard !isIdle(frame.stream) else { throw .connection(.protocolError, "RST_STREAM on a stream never opened") }
        if let stream = streams[frame.stream] { reset(stream, H2.ErrorCode(rawValue: raw) ?? .internalError) }
    }

    private func goAway(_ frame: FrameReader.Frame) throws(H2.Failure) {
        var payload = frame.payload
        guard frame.stream == 0 else { throw .connection(.protocolError, "GOAWAY on a stream") }
        guard payload.readableBytes >= 8, let last = payload.readInteger(as: UInt32.self),
              let code = payload.readInteger(as: UInt32.self) else {
            throw .connection(.frameSizeError, "GOAWAY is at least 8 bytes")
        }
        receivedGoAway(lastStream: last & 0x7FFF_FFFF, H2.ErrorCode(rawValue: code) ?? .internalError)
    }

    private func settings(_ frame: FrameReader.Frame) throws(H2.Failure) {
        guard frame.stream == 0 else { throw .connection(.protocolError, "SETTINGS on a stream") }
        var payload = frame.payload
        if frame.has(H2.Flag.ack) {
            guard payload.readableBytes == 0 else { throw .connection(.frameSizeError, "a SETTINGS ack carries nothing") }
            return
        }
        guard payload.readableBytes % 6 == 0 else { throw .connection(.frameSizeError, "SETTINGS is a multiple of 6 bytes") }
        var changed = false
        while let id = payload.readInteger(as: UInt16.self), let raw = payload.readInteger(as: UInt32.self) {
            let value = Int(raw)
            switch H2.Setting(rawValue: id) {
            case .enablePush:
                guard value <= 1 else { throw .connection(.protocolError, "SETTINGS_ENABLE_PUSH is 0 or 1") }
            case .initialWindowSize:
                guard value <= H2.maxWindow else { throw .connection(.flowControlError, "SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1") }
                let change = value - h2.peerInitialWindow
                h2.peerInitialWindow = value
                for stream in streams.values { stream.outbound.window += change }
                changed = true
            case .maxFrameSize:
                guard (H2.defaultMaxFrameSize...16_777_215).contains(value) else {
                    throw .connection(.protocolError, "SETTINGS_MAX_FRAME_SIZE out of range")
                }
                h2.peerMaxFrameSize = value
            case .maxConcurrentStreams:
                h2.peerMaxConcurrentStreams = value
                changed = true
            default:
                break  // our header blocks never use the dynamic table; the rest is advisory
            }
        }
        h2.peerSettingsSeen = true
        h2.writer.settingsAck()
        requestFlush()
        if changed {
            for stream in streams.values { sendQueued(stream) }
            peerSettingsChanged()
        }
    }

    private func ping(_ frame: FrameReader.Frame) throws(H2.Failure) {
        guard frame.stream == 0 else { throw .connection(.protocolError, "PING on a stream") }
        var payload = frame.payload
        guard payload.readableBytes == 8, let data = payload.readInteger(as: UInt64.self) else {
            throw .connection(.frameSizeError, "PING is 8 bytes")
        }
        if frame.has(H2.Flag.ack) {
            pingAcknowledged(data)
        } else {
            h2.writer.ping(data, ack: true)
            requestFlush()
        }
    }

    private func windowUpdate(_ frame: FrameReader.Frame) throws(H2.Failure) {
        var payload = frame.payload
        guard payload.readableBytes == 4, let raw = payload.readInteger(as: UInt32.self) else {
            throw .connection(.frameSizeError, "WINDOW_UPDATE is 4 bytes")
        }
        let increment = Int(raw & 0x7FFF_FFFF)
        guard frame.stream != 0 else {
            guard increment > 0 else { throw .connection(.protocolError, "a WINDOW_UPDATE of 0") }
            h2.sendWindow += increment
            guard h2.sendWindow <= H2.maxWindow else { throw .connection(.flowControlError, "the connection window over 2^31-1") }
            let waiting = h2.blocked
            h2.blocked = []
            for id in waiting { if let stream = streams[id] { sendQueued(stream) } }
            return
        }
        guard let stream = streams[frame.stream] else {
            guard !isIdle(frame.stream) else { throw .connection(.protocolError, "WINDOW_UPDATE on a stream never opened") }
            return
        }
        guard increment > 0 else { throw .stream(stream.id, .protocolError, "a WINDOW_UPDATE of 0") }
        stream.outbound.window += increment
        guard stream.outbound.window <= H2.maxWindow else { throw .stream(stream.id, .flowControlError, "the stream window over 2^31-1") }
        sendQueued(stream)
    }

    // MARK: Errors

    /// A stream error: RST_STREAM, and the stream is over.
    func streamFailed(_ failure: H2.Failure) {
        guard let id = failure.stream else { return }
        logger.debug("HTTP/2 stream error", metadata: ["stream": "\(id)", "error": "\(failure.reason)"])
        h2.writer.rstStream(id, failure.code)
        requestFlush()
        if let stream = streams[id] { reset(stream, failure.code) }
    }

    /// A connection error: GOAWAY naming it (unless the peer never spoke HTTP/2), then the close.
    func failConnection(_ failure: H2.Failure) {
        guard !h2.closing, let context else { return }
        h2.closing = true
        logger.debug("HTTP/2 connection error", metadata: ["error": "\(failure.reason)"])
        if h2.peerSettingsSeen { h2.writer.goAway(lastStream: lastPeerStream, failure.code, debug: failure.reason) }
        flushNow()
        context.close(promise: nil)
    }
}
