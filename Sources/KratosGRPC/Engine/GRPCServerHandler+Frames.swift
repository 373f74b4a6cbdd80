import NIOCore
import NIOHPACK

/// The server's side of HTTP/2: frames read and checked, connection settings, both directions
/// of flow control, stream and connection errors, and the writes flushed once per batch.
extension GRPCServerHandler {
    /// The largest header block accepted across HEADERS and CONTINUATION frames.
    static let maxHeaderBlock = 64 * 1024

    func readFrames() {
        do {
            while !closing, let frame = try reader.next() {
                do {
                    try process(frame)
                } catch where error.stream != nil {
                    reset(error)
                }
            }
        } catch {
            failConnection(error)
        }
    }

    private func process(_ frame: FrameReader.Frame) throws(H2.Failure) {
        if let (id, block, endStream) = continuing {
            guard frame.type == H2.FrameType.continuation.rawValue, frame.stream == id else {
                throw .connection(.protocolError, "a header block was interrupted before its END_HEADERS")
            }
            var block = block
            var fragment = frame.payload
            guard block.readableBytes + fragment.readableBytes <= Self.maxHeaderBlock else {
                throw .connection(.enhanceYourCalm, "a header block over \(Self.maxHeaderBlock) bytes")
            }
            block.writeBuffer(&fragment)
            continuing = frame.has(H2.Flag.endHeaders) ? nil : (id, block, endStream)
            if continuing == nil { try headerBlock(block, on: id, endStream: endStream) }
            return
        }
        guard peerSettingsSeen || (frame.type == H2.FrameType.settings.rawValue && !frame.has(H2.Flag.ack)) else {
            throw .connection(.protocolError, "the client's first frame must be SETTINGS")
        }
        switch H2.FrameType(rawValue: frame.type) {
        case .data: try data(frame)
        case .headers: try headers(frame)
        case .priority:
            guard frame.payload.readableBytes == 5 else { throw .stream(frame.stream, .frameSizeError, "PRIORITY is 5 bytes") }
        case .rstStream: try rstStream(frame)
        case .settings: try settings(frame)
        case .ping: try ping(frame)
        case .goAway:
            guard frame.stream == 0 else { throw .connection(.protocolError, "GOAWAY on a stream") }
            lifecycle.close()
        case .windowUpdate: try windowUpdate(frame)
        case .pushPromise: throw .connection(.protocolError, "a client cannot push")
        case .continuation: throw .connection(.protocolError, "CONTINUATION without HEADERS before it")
        case nil: break  // unknown frame types are ignored
        }
    }

    private func headers(_ frame: FrameReader.Frame) throws(H2.Failure) {
        guard frame.stream & 1 == 1 else { throw .connection(.protocolError, "a client's streams have odd numbers") }
        let block = try frame.content(priorityFields: true)
        if frame.has(H2.Flag.endHeaders) {
            return try headerBlock(block, on: frame.stream, endStream: frame.has(H2.Flag.endStream))
        }
        guard block.readableBytes <= Self.maxHeaderBlock else {
            throw .connection(.enhanceYourCalm, "a header block over \(Self.maxHeaderBlock) bytes")
        }
        continuing = (frame.stream, ByteBuffer(buffer: block), frame.has(H2.Flag.endStream))
    }

    /// A whole header block: decoded always (the decoder's table must follow the peer's), then a
    /// new call, a call's trailers, or ignored for a stream already closed.
    private func headerBlock(_ block: ByteBuffer, on id: UInt32, endStream: Bool) throws(H2.Failure) {
        var block = block
        let headers: HPACKHeaders
        do {
            headers = try decoder.decodeHeaders(from: &block)
        } catch {
            throw .connection(.compressionError, "the header block could not be decoded: \(error)")
        }
        if let stream = streams[id] {
            guard endStream else { throw .stream(id, .protocolError, "trailers without END_STREAM") }
            guard !stream.inboundClosed else { throw .stream(id, .streamClosed, "HEADERS after END_STREAM") }
            return inputEnded(stream)
        }
        guard id > highestStream else { return }  // a stream already closed: frames in flight
        highestStream = id
        guard lifecycle.acceptsCalls, streams.count < settings.maxConcurrentStreams else {
            writer.rstStream(id, .refusedStream)
            return requestFlush()
        }
        started(id, headers: headers, endStream: endStream)
    }

    private func data(_ frame: FrameReader.Frame) throws(H2.Failure) {
        guard frame.stream != 0 else { throw .connection(.protocolError, "DATA on stream 0") }
        let length = frame.payload.readableBytes
        connectionInbound -= length
        guard connectionInbound >= 0 else { throw .connection(.flowControlError, "DATA beyond the connection's window") }
        if connectionInbound <= settings.connectionWindow / 2 {
            writer.windowUpdate(0, increment: settings.connectionWindow - connectionInbound)
            connectionInbound = settings.connectionWindow
            requestFlush()
        }
        guard let stream = streams[frame.stream] else {
            guard frame.stream <= highestStream else { throw .connection(.protocolError, "DATA on a stream never opened") }
            return  // a stream already closed: frames in flight
        }
        guard !stream.inboundClosed else { throw .stream(stream.id, .streamClosed, "DATA after END_STREAM") }
        stream.window.remaining -= length
        guard stream.window.remaining >= 0 else { throw .stream(stream.id, .flowControlError, "DATA beyond the stream's window") }
        received(try frame.content(), endStream: frame.has(H2.Flag.endStream), on: stream)
    }

    private func rstStream(_ frame: FrameReader.Frame) throws(H2.Failure) {
        guard frame.stream != 0 else { throw .connection(.protocolError, "RST_STREAM on stream 0") }
        guard frame.payload.readableBytes == 4 else { throw .connection(.frameSizeError, "RST_STREAM is 4 bytes") }
        guard frame.stream <= highestStream else { throw .connection(.protocolError, "RST_STREAM on a stream never opened") }
        if let stream = streams[frame.stream] { close(stream) }
    }

    private func settings(_ frame: FrameReader.Frame) throws(H2.Failure) {
        guard frame.stream == 0 else { throw .connection(.protocolError, "SETTINGS on a stream") }
        var payload = frame.payload
        if frame.has(H2.Flag.ack) {
            guard payload.readableBytes == 0 else { throw .connection(.frameSizeError, "a SETTINGS ack carries nothing") }
            return
        }
        guard payload.readableBytes % 6 == 0 else { throw .connection(.frameSizeError, "SETTINGS is a multiple of 6 bytes") }
        while let id = payload.readInteger(as: UInt16.self), let raw = payload.readInteger(as: UInt32.self) {
            let value = Int(raw)
            switch H2.Setting(rawValue: id) {
            case .enablePush:
                guard value <= 1 else { throw .connection(.protocolError, "SETTINGS_ENABLE_PUSH is 0 or 1") }
            case .initialWindowSize:
                guard value <= H2.maxWindow else { throw .connection(.flowControlError, "SETTINGS_INITIAL_WINDOW_SIZE over 2^31-1") }
                let change = value - peerInitialWindow
                peerInitialWindow = value
                for stream in streams.values {
                    stream.sendWindow += change
                    if change > 0 { sendQueued(stream) }
                }
            case .maxFrameSize:
                guard (H2.defaultMaxFrameSize...16_777_215).contains(value) else {
                    throw .connection(.protocolError, "SETTINGS_MAX_FRAME_SIZE out of range")
                }
                peerMaxFrameSize = value
            default:
                break  // our header blocks never use the dynamic table; the rest is advisory
            }
        }
        peerSettingsSeen = true
        writer.settingsAck()
        requestFlush()
    }

    private func ping(_ frame: FrameReader.Frame) throws(H2.Failure) {
        guard frame.stream == 0 else { throw .connection(.protocolError, "PING on a stream") }
        var payload = frame.payload
        guard payload.readableBytes == 8, let data = payload.readInteger(as: UInt64.self) else {
            throw .connection(.frameSizeError, "PING is 8 bytes")
        }
        if frame.has(H2.Flag.ack) {
            lifecycle.pingAcknowledged(data)
        } else {
            writer.ping(data, ack: true)
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
            connectionSendWindow += increment
            guard connectionSendWindow <= H2.maxWindow else { throw .connection(.flowControlError, "the connection window over 2^31-1") }
            let waiting = blocked
            blocked = []
            for stream in waiting where streams[stream.id] === stream { sendQueued(stream) }
            return
        }
        guard let stream = streams[frame.stream] else {
            guard frame.stream <= highestStream else { throw .connection(.protocolError, "WINDOW_UPDATE on a stream never opened") }
            return
        }
        guard increment > 0 else { throw .stream(stream.id, .protocolError, "a WINDOW_UPDATE of 0") }
        stream.sendWindow += increment
        guard stream.sendWindow <= H2.maxWindow else { throw .stream(stream.id, .flowControlError, "the stream window over 2^31-1") }
        sendQueued(stream)
    }

    // MARK: Errors

    /// A stream error: RST_STREAM, and the call is over.
    private func reset(_ failure: H2.Failure) {
        guard let id = failure.stream else { return }
        settings.logger.debug("HTTP/2 stream error", metadata: ["stream": "\(id)", "error": "\(failure.reason)"])
        writer.rstStream(id, failure.code)
        requestFlush()
        if let stream = streams[id] { close(stream) }
    }

    /// A connection error: GOAWAY naming it (unless the peer never spoke HTTP/2), then the close.
    func failConnection(_ failure: H2.Failure) {
        guard !closing, let context else { return }
        closing = true
        settings.logger.debug("HTTP/2 connection error", metadata: ["error": "\(failure.reason)"])
        if peerSettingsSeen { writer.goAway(lastStream: highestStream, failure.code, debug: failure.reason) }
        flushNow()
        context.close(promise: nil)
    }

    // MARK: Sending

    /// Sends reply bytes as far as the windows allow; the rest waits, in order, in the stream's queue.
    func sendData(_ bytes: ByteBuffer, on stream: ServerStream) {
        if stream.queued != nil {
            stream.queued?.writeImmutableBuffer(bytes)
            return
        }
        var bytes = bytes
        push(&bytes, on: stream)
        if bytes.readableBytes > 0 { stream.queued = bytes }
        requestFlush()
    }

    /// Ends the stream with a header block (trailers), behind any reply bytes still waiting.
    func sendTrailers(on stream: ServerStream, encode: (inout ByteBuffer) -> Void) {
        if stream.queued == nil {
            writer.headers(stream: stream.id, endStream: true, maxFrameSize: peerMaxFrameSize, encode: encode)
            return sent(stream)
        }
        var block = ByteBuffer()
        encode(&block)
        stream.queuedTrailers = block
    }

    /// Sends what waits on a stream once a window has opened.
    func sendQueued(_ stream: ServerStream) {
        guard var bytes = stream.queued else { return }
        stream.queued = nil
        push(&bytes, on: stream)
        requestFlush()
        if bytes.readableBytes > 0 {
            stream.queued = bytes
        } else if let trailers = stream.queuedTrailers {
            stream.queuedTrailers = nil
            writer.headers(trailers, stream: stream.id, endStream: true, maxFrameSize: peerMaxFrameSize)
            sent(stream)
        }
    }

    private func push(_ bytes: inout ByteBuffer, on stream: ServerStream) {
        while bytes.readableBytes > 0 {
            let length = min(bytes.readableBytes, stream.sendWindow, connectionSendWindow, peerMaxFrameSize)
            guard length > 0, let chunk = bytes.readSlice(length: length) else {
                if connectionSendWindow <= 0 { blocked.append(stream) }
                return
            }
            writer.data(chunk, stream: stream.id)
            stream.sendWindow -= length
            connectionSendWindow -= length
            if stream.tracksWrites { writer.whenWritten { [weak self] in self?.written(length, on: stream, $0) } }
        }
    }

    /// The stream's last frame is written: an unfinished request is told to stop, and the stream closes.
    private func sent(_ stream: ServerStream) {
        if !stream.inboundClosed { writer.rstStream(stream.id, .noError) }
        requestFlush()
        close(stream)
    }

    func close(_ stream: ServerStream) {
        guard streams.removeValue(forKey: stream.id) != nil else { return }
        abandon(stream)
        lifecycle.streamClosed(stream.id)
    }

    // MARK: Flushing

    /// Asks for a flush at the end of the read batch, or of this event-loop turn.
    func requestFlush() {
        if reading {
            flushPending = true
        } else if !flushScheduled, let context {
            flushScheduled = true
            let this = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.assumeIsolated().execute {
                this.value.flushScheduled = false
                this.value.flushNow()
            }
        }
    }

    func flushNow() {
        writeGathered()
        guard let context, let batch = writer.take() else { return }
        batch.write(to: context)
    }
}

extension GRPCServerHandler: ConnectionControl {
    func goAway() {
        writer.goAway(lastStream: highestStream, .noError)
        requestFlush()
    }

    func sendPing(_ data: UInt64) {
        writer.ping(data, ack: false)
        requestFlush()
    }

    func closeWhenFlushed() {
        guard let context else { return }
        flushNow()
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.assumeIsolated().execute { bound.value.close(promise: nil) }
    }
}
