import Foundation
import Kratos
import KratosGRPC
import SwiftProtobuf

/// `grpc.testing.TestService` on the framework, as the gRPC interop test descriptions describe
/// the server's side: payloads of zeros of the requested sizes, the requested status, echoed
/// metadata, `interval_us` pauses, and requests that say they were compressed checked.
///
/// Register it with the generated `register(on:)`; `UnimplementedCall` answers UNIMPLEMENTED,
/// and `grpc.testing.UnimplementedService` is left unregistered.
public struct InteropTestService: Grpc_Testing_TestServiceService {
    /// Request metadata sent back as reply metadata.
    public static let echoInitialKey = "x-grpc-test-echo-initial"
    /// Request metadata sent back as a trailer.
    public static let echoTrailingKey = "x-grpc-test-echo-trailing-bin"

    public init() {}

    public func emptyCall(_ request: Grpc_Testing_Empty, context: RequestContext) async throws -> Grpc_Testing_Empty {
        echoMetadata(context)
        return Grpc_Testing_Empty()
    }

    public func unaryCall(_ request: Grpc_Testing_SimpleRequest, context: RequestContext) async throws -> Grpc_Testing_SimpleResponse {
        echoMetadata(context)
        try checkCompression(expected: request.hasExpectCompressed && request.expectCompressed.value, context)
        if request.hasResponseStatus, request.responseStatus.code != 0 { throw Self.error(for: request.responseStatus) }
        // `response_compressed` is not acted on: a handler has no way to choose whether its reply
        // is compressed. A client cannot tell from the reply's contents.
        return .with { $0.payload = .zeros(Int(request.responseSize)) }
    }

    public func cacheableUnaryCall(_ request: Grpc_Testing_SimpleRequest, context: RequestContext) async throws -> Grpc_Testing_SimpleResponse {
        context.setReplyHeader("cache-control", "max-age=60")
        let now = Date().timeIntervalSince1970
        return .with { $0.payload.body = Data(String(Int64(now * 1_000_000_000)).utf8) }
    }

    public func streamingOutputCall(_ request: Grpc_Testing_StreamingOutputCallRequest, writer: MessageWriter<Grpc_Testing_StreamingOutputCallResponse>,
                                    context: RequestContext) async throws {
        echoMetadata(context)
        try await answer(request, writer)
    }

    public func streamingInputCall(_ requests: MessageStream<Grpc_Testing_StreamingInputCallRequest>,
                                   context: RequestContext) async throws -> Grpc_Testing_StreamingInputCallResponse {
        var total = 0
        for try await request in requests {
            try checkCompression(expected: request.hasExpectCompressed && request.expectCompressed.value, context)
            total += request.payload.body.count
        }
        return .with { $0.aggregatedPayloadSize = Int32(total) }
    }

    public func fullDuplexCall(_ requests: MessageStream<Grpc_Testing_StreamingOutputCallRequest>,
                               writer: MessageWriter<Grpc_Testing_StreamingOutputCallResponse>, context: RequestContext) async throws {
        echoMetadata(context)
        for try await request in requests {
            try await answer(request, writer)
        }
    }

    public func halfDuplexCall(_ requests: MessageStream<Grpc_Testing_StreamingOutputCallRequest>,
                               writer: MessageWriter<Grpc_Testing_StreamingOutputCallResponse>, context: RequestContext) async throws {
        echoMetadata(context)
        var all: [Grpc_Testing_StreamingOutputCallRequest] = []
        for try await request in requests { all.append(request) }
        for request in all { try await answer(request, writer) }
    }

    public func unimplementedCall(_ request: Grpc_Testing_Empty, context: RequestContext) async throws -> Grpc_Testing_Empty {
        throw KratosError(code: 501, reason: "UNIMPLEMENTED", message: "grpc.testing.TestService/UnimplementedCall is not implemented")
    }

    // MARK: Helpers

    /// Ends the call with the request's status, if it asks for one, else writes one reply per
    /// `ResponseParameters`, each after its `interval_us`.
    private func answer(_ request: Grpc_Testing_StreamingOutputCallRequest,
                        _ writer: MessageWriter<Grpc_Testing_StreamingOutputCallResponse>) async throws {
        if request.hasResponseStatus, request.responseStatus.code != 0 { throw Self.error(for: request.responseStatus) }
        for parameters in request.responseParameters {
            if parameters.intervalUs > 0 { try await Task.sleep(for: .microseconds(parameters.intervalUs)) }
            try await writer.write(.with { $0.payload = .zeros(Int(parameters.size)) })
        }
    }

    /// The echo keys of the request, sent back.
    private func echoMetadata(_ context: RequestContext) {
        if let value = context.requestHeaders.first(Self.echoInitialKey) {
            context.setReplyHeader(Self.echoInitialKey, value)
        }
        if let value = context.requestHeaders.first(Self.echoTrailingKey) {
            context.setReplyTrailer(Self.echoTrailingKey, value)
        }
    }

    /// INVALID_ARGUMENT when the request says it was compressed and its `grpc-encoding` header
    /// says it was not.
    private func checkCompression(expected: Bool, _ context: RequestContext) throws {
        guard expected else { return }
        let encoding = context.requestHeaders.first("grpc-encoding") ?? "identity"
        if encoding == "identity" {
            throw KratosError.badRequest("NOT_COMPRESSED", "the request was expected to arrive compressed")
        }
    }

    /// The exact gRPC status `status` asks for.
    public static func error(for status: Grpc_Testing_EchoStatus) -> GRPCStatusError {
        GRPCStatusError(GRPCStatusCode(rawValue: Int(status.code)) ?? .unknown, status.message)
    }
}

extension Grpc_Testing_Payload {
    /// A compressable payload of `size` zero bytes.
    public static func zeros(_ size: Int) -> Grpc_Testing_Payload {
        .with {
            $0.type = .compressable
            $0.body = Data(count: size)
        }
    }
}
