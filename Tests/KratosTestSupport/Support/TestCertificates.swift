import Foundation

/// A certificate authority and a server certificate it signed (for `localhost` and 127.0.0.1),
/// made with the openssl command in a temporary directory, removed by ``remove()``.
public struct TestCertificates: Sendable {
    public let directory: URL
    public var caCertificate: String { directory.appendingPathComponent("ca.pem").path }
    public var serverCertificate: String { directory.appendingPathComponent("server.pem").path }
    public var serverKey: String { directory.appendingPathComponent("server.key").path }

    public init() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-certs-\(UUID().uuidString.prefix(8))")
        self.directory = directory
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = { (name: String) in directory.appendingPathComponent(name).path }
        try "subjectAltName=IP:127.0.0.1,DNS:localhost\n".write(toFile: path("san.ext"), atomically: true, encoding: .utf8)
        let steps: [[String]] = [
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"), "-days", "1",
             "-subj", "/CN=Kratos Test CA"],
            ["req", "-newkey", "rsa:2048", "-nodes", "-keyout", path("server.key"), "-out", path("server.csr"), "-subj", "/CN=localhost"],
            ["x509", "-req", "-in", path("server.csr"), "-CA", path("ca.pem"), "-CAkey", path("ca.key"), "-CAcreateserial",
             "-out", path("server.pem"), "-days", "1", "-extfile", path("san.ext")],
        ]
        for step in steps {
            let made = try await runProcess("/usr/bin/openssl", step)
            guard made.status == 0 else {
                throw ProcessFailure(description: "openssl \(step.first ?? "") failed: \(String(decoding: made.stderr, as: UTF8.self))")
            }
        }
    }

    public func remove() {
        try? FileManager.default.removeItem(at: directory)
    }
}
