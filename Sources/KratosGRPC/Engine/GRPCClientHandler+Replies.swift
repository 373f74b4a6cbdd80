import Kratos
import NIOCore

/// The client's end of HTTP/2 (we open the streams, odd numbers) and reading a call's reply
/// headers, messages and trailers, and ending the call.
extension GRPCClientHandler: HTTP2Endpoint {
    var lastPeerStream: UInt32 { 0 }

    func isIdle(_ id: UInt32) -> Bool { id & 1 == 0 || id >= nextStreamID }

    func received(_ headers: HeaderList, on id: UInt32, endStream: Bool) throws(H2.Failure) {
        guard let stream = streams[id] else {
            guard !isIdle(id) else { throw .connection(.protocolError, "HEADERS on a stream never opened") }
            return  // a call already ended: frames in flight
        }
        if stream.headers == nil {
            stream.headers = headers
            if let refusal = Self.refusal(of: headers) {
                stream.inboundClosed = endStream
                return end(stream, refusal, trailers: headers)
            }
            if endStream {
                // Trailers only.
                stream.inboundClosed = true
                return end(stream, CallStatus(trailers: headers) ?? Self.missingStatus, trailers: headers)
            }
            guard let encoding = MessageEncoding.named(headers.first(name: "grpc-encoding")) else {
                return end(stream, CallStatus(code: .internal, message: "the reply's grpc-encoding \(headers.first(name: "grpc-encoding") ?? "") is not supported"))
            }
            stream.deframer = MessageDeframer(limit: stream.maxReplySize, encoding: encoding)
            return
        }
        guard endStream else { throw .stream(id, .protocolError, "trailers without END_STREAM") }
        stream.inboundClosed = true
        end(stream, CallStatus(trailers: headers) ?? Self.missingStatus, trailers: headers)
    }

    func received(_ bytes: ByteBuffer, flowLength: Int, endStream: Bool, on stream: ClientStream) throws(H2.Failure) {
        stream.window.remaining -= flowLength
        guard stream.window.remaining >= 0 else { throw .stream(stream.id, .flowControlError, "DATA beyond the stream's window") }
        guard !stream.ended else { return }
        guard var deframer = stream.deframer else {
            return end(stream, CallStatus(code: .internal, message: "a reply message came before the reply headers"))
        }
        deframer.append(bytes)
        do {
            while let message = try deframer.next(allocator: context?.channel.allocator ?? ByteBufferAllocator()) {
                if stream.collected != nil {
                    stream.collected?.append(message)
                } else if stream.source?.yield(message) == .stopProducing {
                    stream.window.paused = true
                }
            }
        } catch .tooLarge(let length, let limit) {
            return end(stream, CallStatus(code: .resourceExhausted, message: "the reply message of \(length) bytes is over the limit of \(limit)"))
        } catch {
            return end(stream, CallStatus(code: .internal, message: "the reply is malformed: \(error)"))
        }
        stream.deframer = deframer
        if endStream {
            stream.inboundClosed = true
            return end(stream, CallStatus(code: .internal, message: "the reply ended without trailers"))
        }
        openWindow(stream)
    }

    /// The server reset the call (or a stream error did): mapped as grpc-go maps RST_STREAM codes.
    func reset(_ stream: ClientStream, _ code: H2.ErrorCode) {
        stream.inboundClosed = true
        stream.outboundClosed = true
        let status: GRPCStatusCode = switch code {
        case .refusedStream: .unavailable
        case .cancel: .cancelled
        case .enhanceYourCalm: .resourceExhausted
        case .inadequateSecurity: .permissionDenied
        default: .internal
        }
        end(stream, CallStatus(code: status, message: "the server reset the call (\(code))"), unprocessed: code == .refusedStream)
    }

    func receivedGoAway(lastStream: UInt32, _ code: H2.ErrorCode) {
        becameUnusable()
        closeWhenIdle = true
        for (id, stream) in streams where id > lastStream {
            stream.inboundClosed = true
            stream.outboundClosed = true
            end(stream, CallStatus(code: .unavailable, message: "the server is going away; the call did not start"), unprocessed: true)
        }
        for stream in waiting {
            end(stream, CallStatus(code: .unavailable, message: "the server is going away; the call did not start"), unprocessed: true)
        }
        closeIfIdle()
    }

    func pingAcknowledged(_ data: UInt64) {}

    func peerSettingsChanged() {
        startWaiting()
    }

    func sentEnd(_ stream: ClientStream) {
        stream.outboundClosed = true
    }

    func beforeFlush() {}

    func openWindow(_ stream: ClientStream) {
        guard !stream.ended, let increment = stream.window.increment(partialMessage: stream.deframer?.hasPartialMessage ?? false) else { return }
        h2.writer.windowUpdate(stream.id, increment: increment)
        requestFlush()
    }

    /// Ends the call with `status`; a stream still open either way is reset (CANCEL), so the
    /// server stops and the stream is freed.
    func end(_ stream: ClientStream, _ status: CallStatus, trailers: HeaderList = HeaderList(), unprocessed: Bool = false) {
        guard !stream.ended else { return }
        stream.ended = true
        if stream.id == 0 {
            waiting.removeAll { $0 === stream }
        } else if streams.removeValue(forKey: stream.id) != nil, !stream.inboundClosed || !stream.outboundClosed {
            h2.writer.rstStream(stream.id, .cancel)
            requestFlush()
        }
        stream.inboundClosed = true
        stream.outboundClosed = true
        stream.drained?.fail(GRPCStatusError(.cancelled, "the call has ended"))
        stream.drained = nil
        if status.code == .ok {
            stream.source?.finish()
        } else {
            stream.source?.finish(KratosError(status))
        }
        stream.ending.succeed(CallEnding(headers: stream.headers, status: status, trailers: trailers, replies: stream.collected ?? [],
                                         unprocessed: unprocessed))
        stream.collected = nil
        startWaiting()
        closeIfIdle()
    }

    // MARK: Helpers

    static let missingStatus = CallStatus(code: .internal, message: "the reply's trailers carry no grpc-status")

    /// A reply that is not gRPC: its HTTP status mapped as the gRPC spec says, or a wrong content type.
    static func refusal(of headers: HeaderList) -> CallStatus? {
        let status = headers.first(name: ":status") ?? ""
        guard status == "200" else {
            let code: GRPCStatusCode = switch status {
            case "400": .internal
            case "401": .unauthenticated
            case "403": .permissionDenied
            case "404": .unimplemented
            case "429", "502", "503", "504": .unavailable
            default: .unknown
            }
            return CallStatus(code: code, message: "the server answered HTTP \(status), not gRPC")
        }
        guard headers.first(name: "content-type")?.hasPrefix("application/grpc") == true else {
            return CallStatus(code: .unknown, message: "the server answered \(headers.first(name: "content-type") ?? "no content type"), not gRPC")
        }
        return nil
    }
}
