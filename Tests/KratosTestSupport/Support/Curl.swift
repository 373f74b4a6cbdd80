import Foundation

/// A reply as curl saw it.
public struct CurlReply: Sendable {
    public let status: Int
    /// Header names lower-cased; the last value wins.
    public let headers: [String: String]
    public let body: Data

    public var text: String { String(decoding: body, as: UTF8.self) }

    public func json() throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: body) as? [String: Any] ?? [:]
    }
}

public struct ProcessFailure: Error, CustomStringConvertible {
    public let description: String
    public init(description: String) { self.description = description }
}

/// Runs `/usr/bin/curl` (an independent HTTP client) and parses its `-i` output.
public func curl(_ arguments: String...) async throws -> CurlReply {
    try await curl(arguments)
}

public func curl(_ arguments: [String]) async throws -> CurlReply {
    let output = try await runProcess("/usr/bin/curl", ["-sS", "-i", "--max-time", "20", "-H", "Expect:"] + arguments)
    guard output.status == 0 else {
        throw ProcessFailure(description: "curl \(arguments) exited \(output.status): \(String(decoding: output.stderr, as: UTF8.self))")
    }
    var data = output.stdout[...]
    let separator = Data("\r\n\r\n".utf8)
    guard let end = data.range(of: separator) else { throw ProcessFailure(description: "no header block in curl output") }
    let head = String(decoding: data[..<end.lowerBound], as: UTF8.self).components(separatedBy: "\r\n")
    data = data[end.upperBound...]
    let status = Int(head[0].split(separator: " ")[1]) ?? 0
    var headers: [String: String] = [:]
    for line in head.dropFirst() {
        guard let colon = line.firstIndex(of: ":") else { continue }
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
    }
    return CurlReply(status: status, headers: headers, body: Data(data))
}

/// Runs a program to completion without blocking a concurrency thread.
public func runProcess(_ path: String, _ arguments: [String]) async throws -> (status: Int32, stdout: Data, stderr: Data) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: path)
    process.arguments = arguments
    let out = Pipe(), err = Pipe()
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // Pipes are drained on Dispatch threads: blocking reads must not occupy the (two-thread)
    // Swift concurrency pool the servers under test also need.
    async let stdout = readToEnd(out.fileHandleForReading)
    async let stderr = readToEnd(err.fileHandleForReading)
    let (o, e) = await (stdout, stderr)
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async {
            process.waitUntilExit()
            continuation.resume()
        }
    }
    return (process.terminationStatus, o, e)
}

private func readToEnd(_ handle: FileHandle) async -> Data {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: handle.readDataToEndOfFile()) }
    }
}

/// Writes `data` to a temporary file for `curl --data-binary @file`.
public func temporaryFile(_ data: Data) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-body-\(UUID().uuidString)")
    try data.write(to: url)
    return url
}
