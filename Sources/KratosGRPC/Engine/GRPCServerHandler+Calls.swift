import Kratos
import KratosNIO
import NIOCore

/// Running a call's handler and writing its replies, headers and trailers.
extension GRPCServerHandler {
    // MARK: Running handlers

    func makeCall(_ stream: ServerStream, headers: HeaderList, deadline: ContinuousClock.Instant?,
                  messages: IncomingMessages) -> ServerCall {
        let loop = executor.eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        let id = stream.id
        return ServerCall(path: stream.path, headers: headers, deadline: deadline, messages: messages) { message in
            let wait = loop.inEventLoop ? try this.value.send(message, on: id)
                                        : try await loop.submit { try this.value.send(message, on: id) }.get()
            try await wait?.get()
        }
    }

    func start(_ stream: ServerStream, headers: HeaderList, deadline: ContinuousClock.Instant?,
               body: @escaping @Sendable (ServerCall) async throws -> Void) {
        let loop = executor.eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        let id = stream.id
        let (messages, source) = IncomingMessages.make { onEventLoop(loop) { this.value.resumeReading(id) } }
        stream.source = source
        let call = makeCall(stream, headers: headers, deadline: deadline, messages: messages)
        stream.call = call
        let task = Task.immediate(executorPreference: executor) {
            let status = await GRPCServerHandler.ending(of: body, call)
            onEventLoop(loop) { this.value.finished(id, status, call: call) }
        }
        stream.task = task
    }

    func run(_ stream: ServerStream, call: ServerCall, request: ByteBuffer) {
        let loop = executor.eventLoop
        let this = NIOLoopBound(self, eventLoop: loop)
        let id = stream.id
        switch stream.method {
        case .unary(let body):
            let task = Task.immediate(executorPreference: executor) {
                let reply = await GRPCServerHandler.reply(of: body, request, call)
                onEventLoop(loop) { this.value.answered(id, reply, call: call) }
            }
            stream.task = task
        case .serverStreaming(let body):
            let task = Task.immediate(executorPreference: executor) {
                let status = await GRPCServerHandler.ending(of: body, request, call)
                onEventLoop(loop) { this.value.finished(id, status, call: call) }
            }
            stream.task = task
        case .requestStreaming:
            break
        }
    }

    static func reply(of body: @Sendable (ByteBuffer, ServerCall) async throws -> [UInt8], _ request: ByteBuffer,
                      _ call: ServerCall) async -> Result<[UInt8], any Error> {
        do { return .success(try await body(request, call)) } catch { return .failure(error) }
    }

    static func ending(of body: @Sendable (ByteBuffer, ServerCall) async throws -> Void, _ request: ByteBuffer,
                       _ call: ServerCall) async -> CallStatus {
        do {
            try await body(request, call)
            return .ok
        } catch {
            return CallStatus(error)
        }
    }

    static func ending(of body: @Sendable (ServerCall) async throws -> Void, _ call: ServerCall) async -> CallStatus {
        do {
            try await body(call)
            return .ok
        } catch {
            return CallStatus(error)
        }
    }

    func resumeReading(_ id: UInt32) {
        guard let stream = streams[id] else { return }
        stream.window.paused = false
        openWindow(stream)
    }

    // MARK: Replies

    /// A unary handler's answer: headers, the message and the trailers in one go.
    func answered(_ id: UInt32, _ reply: Result<[UInt8], any Error>, call: ServerCall) {
        guard let stream = streams[id], !stream.finished else { return }
        switch reply {
        case .success(let bytes):
            do {
                try writeMessage(bytes, on: stream, call: call)
                finish(stream, .ok, call: call)
            } catch {
                finish(stream, CallStatus(error), call: call)
            }
        case .failure(let error):
            finish(stream, CallStatus(error), call: call)
        }
    }

    /// A streaming handler returned or threw.
    func finished(_ id: UInt32, _ status: CallStatus, call: ServerCall) {
        guard let stream = streams[id], !stream.finished else { return }
        finish(stream, status, call: call)
    }

    /// Gathers one reply message of a streaming call (the turn's messages go out as one DATA
    /// frame); returns what to wait for when too much is already on its way to the socket.
    func send(_ bytes: [UInt8], on id: UInt32) throws -> EventLoopFuture<Void>? {
        guard let stream = streams[id], !stream.finished, let call = stream.call, let context else {
            throw GRPCStatusError(.cancelled, "the call has ended")
        }
        guard bytes.count <= settings.maxReplySize else { throw Self.tooLarge(bytes.count, settings.maxReplySize) }
        sendHeaders(stream, call: call)
        stream.outbound.tracksWrites = true
        if stream.pendingData == nil {
            stream.pendingData = allocator.buffer(capacity: max(4096, bytes.count + 5))
            gathering.append(stream)
        }
        let before = stream.pendingData?.readableBytes ?? 0
        if stream.replyEncoding != nil {
            stream.pendingData?.writeImmutableBuffer(try frame(bytes, on: stream))
        } else {
            // Framed straight into the turn's DATA: no buffer per message.
            stream.pendingData?.writeInteger(0 as UInt8)
            stream.pendingData?.writeInteger(UInt32(bytes.count))
            stream.pendingData?.writeBytes(bytes)
        }
        stream.pendingOutbound += (stream.pendingData?.readableBytes ?? 0) - before
        if (stream.pendingData?.readableBytes ?? 0) >= writeHighWatermark { writeGathered(stream) }
        requestFlush()
        guard stream.pendingOutbound > writeHighWatermark else { return nil }
        let drained = stream.drained ?? context.eventLoop.makePromise(of: Void.self)
        stream.drained = drained
        return drained.futureResult
    }

    /// Writes every stream's gathered replies, just before the flush.
    func writeGathered() {
        let streams = gathering
        gathering = []
        for stream in streams { writeGathered(stream) }
    }

    func writeGathered(_ stream: ServerStream) {
        guard let data = stream.pendingData else { return }
        stream.pendingData = nil
        send(data, on: stream)
    }

    /// The reply framed (and compressed when the client accepts it), within the size limit.
    func frame(_ bytes: [UInt8], on stream: ServerStream) throws -> ByteBuffer {
        guard bytes.count <= settings.maxReplySize else { throw Self.tooLarge(bytes.count, settings.maxReplySize) }
        return try stream.replyEncoding.map { encoding in
            try framedMessage(ByteBuffer(bytes: bytes), encoding: encoding, allocator: allocator)
        } ?? framedMessage(bytes: bytes, allocator: allocator)
    }

    static func tooLarge(_ size: Int, _ limit: Int) -> GRPCStatusError {
        GRPCStatusError(.resourceExhausted, "the reply of \(size) bytes is over the limit of \(limit)")
    }

    /// Writes a unary call's reply straight away.
    func writeMessage(_ bytes: [UInt8], on stream: ServerStream, call: ServerCall) throws {
        let framed = try frame(bytes, on: stream)
        sendHeaders(stream, call: call)
        send(framed, on: stream)
    }

    func sendHeaders(_ stream: ServerStream, call: ServerCall) {
        guard !stream.headersSent else { return }
        stream.headersSent = true
        let metadata = call.replyHeaders()
        h2.writer.headers(stream: stream.id, endStream: false, maxFrameSize: h2.peerMaxFrameSize) { block in
            block.writeImmutableBuffer(Self.replyHeaderBlock)
            if let encoding = stream.replyEncoding { HeaderBlock.write("grpc-encoding", encoding.rawValue, into: &block) }
            Self.add(metadata, to: &block)
        }
        requestFlush()
    }

    /// Ends the call with its status: trailers after the replies, or trailers only.
    func finish(_ stream: ServerStream, _ status: CallStatus, call: ServerCall?) {
        writeGathered(stream)
        stream.finished = true
        stream.timer?.cancel()
        stream.timer = nil
        stream.source?.finish(GRPCStatusError(.cancelled, "the call has ended"))
        let headers = stream.headersSent ? [] : call?.replyHeaders() ?? []
        let trailers = call?.replyTrailers() ?? []
        let trailersOnly = !stream.headersSent
        stream.headersSent = true
        sendEnd(headersOn: stream) { block in
            if status.code == .ok, headers.isEmpty, trailers.isEmpty {
                block.writeImmutableBuffer(trailersOnly ? Self.okTrailersOnlyBlock : Self.okTrailerBlock)
                return
            }
            if trailersOnly {
                block.writeImmutableBuffer(Self.replyHeaderBlock)
                Self.add(headers, to: &block)
            }
            status.write(into: &block)
            Self.add(trailers, to: &block)
        }
        requestFlush()
    }

    func fail(_ stream: ServerStream, _ status: CallStatus) {
        guard !stream.finished else { return }
        stream.task?.cancel()
        finish(stream, status, call: stream.call)
    }

    func armTimers(_ context: ChannelHandlerContext) {
        let this = NIOLoopBound(self, eventLoop: context.eventLoop)
        for stream in unarmed where !stream.finished {
            guard let (deadline, status) = stream.deadline else { continue }
            let id = stream.id
            stream.timer = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline) {
                this.value.timedOut(id, status)
            }
        }
        unarmed = []
    }

    func timedOut(_ id: UInt32, _ status: CallStatus) {
        guard let stream = streams[id], !stream.finished else { return }
        stream.timer = nil
        fail(stream, status)
    }

    /// The stream is gone (both sides done, reset by the peer, or the connection closed): a
    /// handler still running is cancelled.
    func abandon(_ stream: ServerStream) {
        stream.pendingData = nil
        stream.drained?.fail(GRPCStatusError(.cancelled, "the client cancelled the call"))
        stream.drained = nil
        stream.timer?.cancel()
        stream.task?.cancel()
        stream.source?.finish(GRPCStatusError(.cancelled, "the client cancelled the call"))
        stream.finished = true
    }

    /// Answers without running anything: trailers only.
    func refuse(_ id: UInt32, httpStatus: String = "200", _ status: CallStatus, inputOpen: Bool,
                extra: [(String, String)] = []) {
        h2.writer.headers(stream: id, endStream: true, maxFrameSize: h2.peerMaxFrameSize) { block in
            HeaderBlock.write(":status", httpStatus, into: &block)
            HeaderBlock.write("content-type", "application/grpc", into: &block)
            for (name, value) in extra { HeaderBlock.write(name, value, into: &block) }
            status.write(into: &block)
        }
        if inputOpen { h2.writer.rstStream(id, .noError) }
        requestFlush()
        lifecycle.streamClosed(id)
    }
}
