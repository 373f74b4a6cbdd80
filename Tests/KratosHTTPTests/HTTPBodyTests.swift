import Foundation
import Kratos
import KratosTestSupport
import NIOCore
import Synchronization
import Testing
@testable import KratosHTTP

/// files.proto's Files: Upload keeps the last body it received (any content type), Download
/// answers it as it came.
final class FileStore: Kratos_Test_V1_FilesService, Sendable {
    let last = Mutex(Google_Api_HttpBody())

    func upload(_ request: Google_Api_HttpBody, context: RequestContext) async throws -> Kratos_Test_V1_UploadReply {
        last.withLock { $0 = request }
        return .with {
            $0.contentType = request.contentType
            $0.size = Int64(request.data.count)
        }
    }

    func download(_ request: Kratos_Test_V1_DownloadRequest, context: RequestContext) async throws -> Google_Api_HttpBody {
        guard request.name == "last" else { throw KratosError.notFound("NO_FILE", "no file \(request.name)") }
        return last.withLock { $0 }
    }
}

/// google.api.HttpBody as a raw request and reply body through the generated routes.
@Suite struct HTTPBodyTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Python/http_body.py").path

    @Test func fiftyMebibytesGoUpAndComeBackByteExactWithTheirContentTypes() async throws {
        let store = FileStore()
        let server = loopbackServer(timeout: .seconds(30))
        try store.register(on: server)
        try await withServer(server) { endpoint in
            let run = try await runProcess("/usr/bin/env", ["python3", Self.script, endpoint])
            #expect(run.status == 0, "\(String(decoding: run.stderr, as: UTF8.self))")
            let result = try JSONSerialization.jsonObject(with: run.stdout) as? [String: Any] ?? [:]
            #expect(result["upload_status"] as? Int == 200)
            let upload = result["upload"] as? [String: Any] ?? [:]
            #expect(upload["contentType"] as? String == "application/x-kratos-test")
            #expect(upload["size"] as? String == "\(50 << 20)")
            #expect(result["download_status"] as? Int == 200)
            #expect(result["download_content_type"] as? String == "application/x-kratos-test")
            #expect(result["download_length"] as? Int == 50 << 20)
            #expect(result["same_sha256"] as? Bool == true)
            // Past maxHTTPBodySize (64 MiB) the upload is refused as any other body.
            #expect(result["too_large_status"] as? Int == 413)
        }
    }

    @Test func otherRoutesKeepTheServersBodyLimit() async throws {
        let server = loopbackServer(maxBodySize: 1024)
        try FileStore().register(on: server)
        try server.route(.POST, "/echo", operation: "/test.Body/Echo", body: .all) { (request: Kratos_Test_V1_HelloRequest, _) in
            Kratos_Test_V1_HelloReply.with { $0.message = request.name }
        }
        try await withServer(server) { endpoint in
            let big = #"{"name":""# + String(repeating: "x", count: 2048) + #""}"#
            let refused = try await curl("-X", "POST", "-H", "content-type: application/json", "--data-binary", big, endpoint + "/echo")
            #expect(refused.status == 413)
            let raw = try await curl("-X", "POST", "-H", "content-type: text/plain", "--data-binary", String(repeating: "y", count: 4096), endpoint + "/v1/files")
            #expect(raw.status == 200 && raw.text.contains(#""size":"4096""#))
            let back = try await curl(endpoint + "/v1/files/last")
            #expect(back.headers["content-type"] == "text/plain" && back.text == String(repeating: "y", count: 4096))
        }
    }
}
