import Foundation
import Kratos
import NIOCore
import SwiftProtobuf

/// How a call ends on the wire: `grpc-status`, `grpc-message` (percent-encoded) and
/// `grpc-status-details-bin` (a `google.rpc.Status` with the error's `ErrorInfo`, as go-kratos
/// sends it).
package struct CallStatus: Sendable, Equatable {
    package var code: GRPCStatusCode
    package var message: String
    package var details: Google_Rpc_Status?

    package static let ok = CallStatus(code: .ok, message: "")

    package init(code: GRPCStatusCode, message: String, details: Google_Rpc_Status? = nil) {
        self.code = code
        self.message = message
        self.details = details
    }

    /// The status a thrown error is answered with: a ``GRPCStatusError`` (or a framework error
    /// caused by one) exactly; cancellation as CANCELLED; any other error as its ``KratosError``
    /// with the reason and metadata in `ErrorInfo`.
    package init(_ error: any Error) {
        if let exact = (error as? GRPCStatusError) ?? ((error as? KratosError)?.cause as? GRPCStatusError) {
            self.init(code: exact.code, message: exact.message)
        } else if error is CancellationError {
            self.init(code: .cancelled, message: "the call was cancelled")
        } else {
            let kratos = KratosError(error)
            self.init(code: kratos.grpcCode, message: kratos.message, details: kratos.wireStatus)
        }
    }

    /// Writes the status fields into a header block.
    func write(into block: inout ByteBuffer) {
        HeaderBlock.write("grpc-status", String(code.rawValue), into: &block)
        if !message.isEmpty { HeaderBlock.write("grpc-message", Self.percentEncoded(message), into: &block) }
        if let details, let bytes: [UInt8] = try? details.serializedBytes() {
            HeaderBlock.write("grpc-status-details-bin", Base64.unpadded(bytes), into: &block)
        }
    }

    /// The status trailers carry; nil when `grpc-status` is missing or not a number.
    package init?(trailers: HeaderList) {
        guard let raw = trailers.first(name: "grpc-status"), let number = Int(raw) else { return nil }
        let details = trailers.first(name: "grpc-status-details-bin").flatMap(Base64.decode)
            .flatMap { try? Google_Rpc_Status(serializedBytes: $0) }
        self.init(code: GRPCStatusCode(rawValue: number) ?? .unknown,
                  message: trailers.first(name: "grpc-message").map(Self.percentDecoded) ?? "", details: details)
    }

    /// `grpc-message` encoding: bytes outside printable ASCII, and `%`, as `%XX` of their UTF-8.
    package static func percentEncoded(_ message: String) -> String {
        var out = ""
        out.reserveCapacity(message.utf8.count)
        for byte in message.utf8 {
            if byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "%") {
                out.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                out += "%" + String(byte >> 4, radix: 16, uppercase: true) + String(byte & 0xF, radix: 16, uppercase: true)
            }
        }
        return out
    }

    /// Undoes ``percentEncoded(_:)``; a malformed escape is kept as it is, as the spec asks.
    package static func percentDecoded(_ text: String) -> String {
        var bytes: [UInt8] = []
        let utf8 = Array(text.utf8)
        var index = 0
        while index < utf8.count {
            if utf8[index] == UInt8(ascii: "%"), index + 2 < utf8.count,
               let byte = UInt8(String(decoding: utf8[index + 1...index + 2], as: UTF8.self), radix: 16) {
                bytes.append(byte)
                index += 3
            } else {
                bytes.append(utf8[index])
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

extension KratosError {
    /// The error as `google.rpc.Status` with one `ErrorInfo{reason, metadata}` detail.
    var wireStatus: Google_Rpc_Status {
        var info = Google_Rpc_ErrorInfo()
        info.reason = reason
        info.metadata = metadata
        var status = Google_Rpc_Status()
        status.code = Int32(grpcCode.rawValue)
        status.message = message
        if let any = try? Google_Protobuf_Any(message: info) { status.details = [any] }
        return status
    }
}

/// Base64 as gRPC's `-bin` metadata uses it: sent unpadded, read padded or not.
package enum Base64 {
    package static func unpadded(_ bytes: [UInt8]) -> String {
        var text = Data(bytes).base64EncodedString()
        while text.last == "=" { text.removeLast() }
        return text
    }

    package static func decode(_ text: String) -> [UInt8]? {
        var padded = text.trimmingCharacters(in: .whitespaces)
        while padded.count % 4 != 0 { padded += "=" }
        return Data(base64Encoded: padded).map { [UInt8]($0) }
    }
}

extension KratosError {
    /// The framework error a call's status carries: the code mapped back to HTTP (NOT_FOUND →
    /// 404, …), reason and metadata from its `ErrorInfo` detail when there is one.
    package init(_ status: CallStatus) {
        let info = status.details?.details.lazy.compactMap { try? Google_Rpc_ErrorInfo(unpackingAny: $0) }.first
        self.init(code: status.code.httpStatus, reason: info?.reason ?? "", message: status.details?.message ?? status.message,
                  metadata: info?.metadata ?? [:], cause: RemoteStatus(status: status))
    }
}

extension KratosError {
    /// The gRPC code a remote call ended with, exactly (``code`` holds its HTTP mapping, which
    /// folds UNKNOWN, INTERNAL and DATA_LOSS into 500); else the code ``code`` maps to.
    public var receivedGRPCCode: GRPCStatusCode {
        (cause as? RemoteStatus)?.status.code ?? grpcCode
    }
}

/// The status a remote call ended with, kept as a framework error's cause.
package struct RemoteStatus: Error, Sendable, CustomStringConvertible {
    package let status: CallStatus
    package var description: String { "gRPC status \(status.code) \(status.message)" }
}
