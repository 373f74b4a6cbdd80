import Kratos
import NIOCore
import NIOHPACK
import NIOHTTP2

/// Reading a call's reply headers, messages and trailers, and ending the call.
extension GRPCClientHandler {
    // MARK: Replies

    func received(_ frame: HTTP2Frame.FramePayload.Headers, on id: HTTP2StreamID) {
        guard let stream = streams[id], !stream.ended else { return }
        if stream.headers == nil {
            stream.headers = frame.headers
            if let refusal = Self.refusal(of: frame.headers) {
                return end(stream, refusal, trailers: frame.headers)
            }
            if frame.endStream {
                // Trailers only.
                stream.inboundClosed = true
                return end(stream, CallStatus(trailers: frame.headers) ?? Self.missingStatus, trailers: frame.headers)
            }
            guard let encoding = MessageEncoding.named(frame.headers.first(name: "grpc-encoding")) else {
                return cancel(id, CallStatus(code: .internal, message: "the reply's grpc-encoding \(frame.headers.first(name: "grpc-encoding") ?? "") is not supported"))
            }
            stream.deframer = MessageDeframer(limit: stream.maxReplySize, encoding: encoding)
            return
        }
        stream.inboundClosed = frame.endStream
        end(stream, CallStatus(trailers: frame.headers) ?? Self.missingStatus, trailers: frame.headers)
    }

    func received(_ frame: HTTP2Frame.FramePayload.Data, on id: HTTP2StreamID) {
        guard let stream = streams[id], !stream.ended, case .byteBuffer(let bytes) = frame.data else { return }
        guard var deframer = stream.deframer else {
            return cancel(id, CallStatus(code: .internal, message: "a reply message came before the reply headers"))
        }
        deframer.append(bytes)
        do {
            while let message = try deframer.next(allocator: connection.allocator) {
                if stream.collected != nil {
                    stream.collected?.append(message)
                } else if stream.source?.yield(message) == .stopProducing {
                    stream.window.paused = true
                }
            }
        } catch .tooLarge(let length, let limit) {
            return cancel(id, CallStatus(code: .resourceExhausted, message: "the reply message of \(length) bytes is over the limit of \(limit)"))
        } catch {
            return cancel(id, CallStatus(code: .internal, message: "the reply is malformed: \(error)"))
        }
        stream.deframer = deframer
        if frame.endStream {
            stream.inboundClosed = true
            return end(stream, CallStatus(code: .internal, message: "the reply ended without trailers"))
        }
        openWindow(stream)
    }

    func openWindow(_ stream: ClientStream) {
        guard !stream.ended, let increment = stream.window.increment(partialMessage: stream.deframer?.hasPartialMessage ?? false) else { return }
        connection.write(HTTP2Frame(streamID: stream.id, payload: .windowUpdate(windowSizeIncrement: increment)))
    }

    /// Ends the call with `status`; a stream still open either way is reset (CANCEL), so the
    /// server stops and the stream is freed.
    func end(_ stream: ClientStream, _ status: CallStatus, trailers: HPACKHeaders = [:]) {
        guard !stream.ended else { return }
        stream.ended = true
        if !stream.inboundClosed || !stream.outboundClosed {
            stream.inboundClosed = true
            stream.outboundClosed = true
            connection.write(HTTP2Frame(streamID: stream.id, payload: .rstStream(.cancel)))
        }
        stream.timer?.cancel()
        stream.timer = nil
        if status.code == .ok {
            stream.source?.finish()
        } else {
            stream.source?.finish(KratosError(status))
        }
        stream.ending.succeed(CallEnding(headers: stream.headers, status: status, trailers: trailers, replies: stream.collected ?? []))
        stream.collected = nil
        closeIfIdle()
    }

    func closeIfIdle() {
        guard closeWhenIdle, streams.values.allSatisfy(\.ended) else { return }
        connection.context?.close(promise: nil)
    }
}
