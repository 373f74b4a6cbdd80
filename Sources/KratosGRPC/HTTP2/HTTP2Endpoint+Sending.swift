import NIOCore

/// Sending: stream bytes as far as both windows allow (the rest queued per stream, in order),
/// the end of a stream behind them, and writes flushed once per read batch or event-loop turn.
extension HTTP2Endpoint {
    /// Sends bytes as far as the windows allow; the rest waits, in order, in the stream's queue.
    /// `endStream` ends the sending side with them (on their last DATA frame when they all go now).
    func send(_ bytes: ByteBuffer, on stream: Stream, endStream: Bool = false) {
        requestFlush()
        if stream.outbound.queued != nil {
            stream.outbound.queued?.writeImmutableBuffer(bytes)
            if endStream { stream.outbound.end = .emptyData }
            return
        }
        var bytes = bytes
        push(&bytes, on: stream, endStream: endStream)
        guard bytes.readableBytes == 0 else {
            stream.outbound.queued = bytes
            if endStream { stream.outbound.end = .emptyData }
            return
        }
        if endStream { sentEnd(stream) }
    }

    /// Ends the stream's sending side with a header block (END_STREAM), behind any bytes still
    /// waiting; the block is encoded straight into the frame when nothing waits.
    func sendEnd(headersOn stream: Stream, encode: (inout ByteBuffer) -> Void) {
        requestFlush()
        if stream.outbound.queued == nil {
            h2.writer.headers(stream: stream.id, endStream: true, maxFrameSize: h2.peerMaxFrameSize, encode: encode)
            return sentEnd(stream)
        }
        var block = ByteBuffer()
        encode(&block)
        stream.outbound.end = .headers(block)
    }

    /// Ends the stream's sending side with an empty DATA frame (END_STREAM), behind any bytes still waiting.
    func sendEnd(dataOn stream: Stream) {
        requestFlush()
        if stream.outbound.queued == nil {
            h2.writer.data(ByteBuffer(), stream: stream.id, endStream: true)
            return sentEnd(stream)
        }
        stream.outbound.end = .emptyData
    }

    /// Sends what waits on a stream once a window has opened.
    func sendQueued(_ stream: Stream) {
        guard var bytes = stream.outbound.queued else { return }
        stream.outbound.queued = nil
        push(&bytes, on: stream)
        requestFlush()
        guard bytes.readableBytes == 0 else {
            stream.outbound.queued = bytes
            return
        }
        switch stream.outbound.end {
        case .headers(let block)?:
            h2.writer.headers(block, stream: stream.id, endStream: true, maxFrameSize: h2.peerMaxFrameSize)
        case .emptyData?:
            h2.writer.data(ByteBuffer(), stream: stream.id, endStream: true)
        case nil:
            return
        }
        stream.outbound.end = nil
        sentEnd(stream)
    }

    private func push(_ bytes: inout ByteBuffer, on stream: Stream, endStream: Bool = false) {
        while bytes.readableBytes > 0 {
            let length = min(bytes.readableBytes, stream.outbound.window, h2.sendWindow, h2.peerMaxFrameSize)
            guard length > 0, let chunk = bytes.readSlice(length: length) else {
                if h2.sendWindow <= 0 { h2.blocked.append(stream.id) }
                return
            }
            h2.writer.data(chunk, stream: stream.id, endStream: endStream && bytes.readableBytes == 0)
            stream.outbound.window -= length
            h2.sendWindow -= length
            if stream.outbound.tracksWrites { h2.writer.whenWritten { [weak self] in self?.written(length, on: stream, $0) } }
        }
    }

    /// Bytes of a stream that tracks its writes reached the socket (or the connection failed): a
    /// writer waiting for them goes on once half the watermark is left, or fails.
    func written(_ length: Int, on stream: Stream, _ result: Result<Void, any Error>) {
        stream.pendingOutbound -= length
        guard let drained = stream.drained else { return }
        switch result {
        case .failure(let error):
            stream.drained = nil
            drained.fail(error)
        case .success where stream.pendingOutbound <= writeHighWatermark / 2:
            stream.drained = nil
            drained.succeed()
        case .success:
            break
        }
    }

    // MARK: Flushing

    /// Asks for a flush at the end of the read batch, or of this event-loop turn.
    func requestFlush() {
        if h2.reading {
            h2.flushPending = true
        } else if !h2.flushScheduled, let context {
            h2.flushScheduled = true
            let this = NIOLoopBound(self, eventLoop: context.eventLoop)
            context.eventLoop.assumeIsolated().execute {
                this.value.h2.flushScheduled = false
                this.value.flushNow()
            }
        }
    }

    /// Writes what was gathered and flushes. The frames are taken from the writer first: writing
    /// can re-enter the handler (a read, a close).
    func flushNow() {
        beforeFlush()
        guard let context, let batch = h2.writer.take() else { return }
        batch.write(to: context)
    }

    // MARK: Reading while the peer does not read

    /// Passes a read on unless the socket does not take our writes, so a peer that sends without
    /// reading cannot make us buffer without bound.
    func holdingRead(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            context.read()
        } else {
            h2.readHeld = true
        }
    }

    func resumingRead(context: ChannelHandlerContext) {
        if context.channel.isWritable, h2.readHeld {
            h2.readHeld = false
            context.read()
        }
    }
}
