import Foundation

/// Real etcd members (Debian `etcd-server`) on loopback ephemeral ports, each with its data in a
/// temporary directory, killed (SIGKILL) by ``stop()``: the test process ignores SIGTERM, and
/// children inherit that.
public final class EtcdCluster: @unchecked Sendable {
    public struct Member {
        public let name: String
        public let clientPort: Int
        public let peerPort: Int
        public var dataDir: URL
        public var process: Process?
        public var endpoint: String { "127.0.0.1:\(clientPort)" }
    }

    public private(set) var members: [Member]
    public let root: URL
    public let extraFlags: [String]
    /// Clients reach the members over TLS with this certificate (`https://`), when set.
    public let tls: TestCertificates?

    /// Starts `size` members forming one cluster and waits until each answers.
    public init(size: Int = 1, extraFlags: [String] = [], tls: TestCertificates? = nil) async throws {
        self.tls = tls
        for tool in ["/usr/bin/etcd", "/usr/bin/etcdctl"] where !FileManager.default.isExecutableFile(atPath: tool) {
            throw ProcessFailure(description: "\(tool) is missing: run Scripts/bootstrap (Debian etcd-server and etcd-client)")
        }
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("kratos-etcd-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        self.root = root
        self.extraFlags = extraFlags
        let ports = try freePorts(2 * size)
        members = (0..<size).map { index in
            Member(name: "m\(index)", clientPort: ports[2 * index], peerPort: ports[2 * index + 1],
                   dataDir: root.appendingPathComponent("m\(index)"), process: nil)
        }
        do {
            for index in members.indices { try launch(index) }
            for index in members.indices { try await waitUntilHealthy(index) }
        } catch {
            stop()
            throw error
        }
    }

    public var endpoints: [String] { members.map(\.endpoint) }

    private var clientScheme: String { tls == nil ? "http" : "https" }

    private func launch(_ index: Int) throws {
        let member = members[index]
        let cluster = members.map { "\($0.name)=http://127.0.0.1:\($0.peerPort)" }.joined(separator: ",")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/etcd")
        process.arguments = [
            "--name", member.name, "--data-dir", member.dataDir.path,
            "--listen-client-urls", "\(clientScheme)://\(member.endpoint)", "--advertise-client-urls", "\(clientScheme)://\(member.endpoint)",
            "--listen-peer-urls", "http://127.0.0.1:\(member.peerPort)",
            "--initial-advertise-peer-urls", "http://127.0.0.1:\(member.peerPort)",
            "--initial-cluster", cluster, "--initial-cluster-state", "new", "--initial-cluster-token", root.lastPathComponent,
            // Fast elections, so a killed leader is replaced in well under a second.
            "--heartbeat-interval", "50", "--election-timeout", "300",
            "--logger", "zap", "--log-level", "error",
        ] + extraFlags + (tls.map { ["--cert-file", $0.serverCertificate, "--key-file", $0.serverKey] } ?? [])
        let log = root.appendingPathComponent("\(member.name).log")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let handle = try FileHandle(forWritingTo: log)
        handle.seekToEndOfFile()
        process.standardOutput = handle
        process.standardError = handle
        process.standardInput = FileHandle.nullDevice
        try process.run()
        members[index].process = process
    }

    /// Polls `etcdctl endpoint health` until the member answers (10 s at most).
    public func waitUntilHealthy(_ index: Int) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while ContinuousClock.now < deadline {
            if let process = members[index].process, !process.isRunning {
                throw ProcessFailure(description: "etcd \(members[index].name) exited: \(log(index))")
            }
            if (try? await etcdctl(["endpoint", "health"], member: index))?.status == 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ProcessFailure(description: "etcd \(members[index].name) did not become healthy: \(log(index))")
    }

    public func log(_ index: Int) -> String {
        ((try? String(contentsOf: root.appendingPathComponent("\(members[index].name).log"), encoding: .utf8)) ?? "").suffix(2000).description
    }

    /// SIGKILLs member `index`.
    public func kill(_ index: Int) {
        guard let process = members[index].process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        members[index].process = nil
    }

    /// SIGSTOPs member `index` (it hangs: connections stay open, nothing answers) or SIGCONTs it.
    public func pause(_ index: Int, _ paused: Bool = true) {
        guard let process = members[index].process, process.isRunning else { return }
        Foundation.kill(process.processIdentifier, paused ? SIGSTOP : SIGCONT)
    }

    /// Starts member `index` again on its ports (after ``kill(_:)``), optionally without its data.
    public func restart(_ index: Int, wipingData: Bool) async throws {
        kill(index)
        if wipingData { try? FileManager.default.removeItem(at: members[index].dataDir) }
        try launch(index)
        try await waitUntilHealthy(index)
    }

    /// The member currently leading, by `etcdctl endpoint status`.
    public func leader() async throws -> Int {
        let alive = members.indices.filter { members[$0].process != nil }
        let reply = try await etcdctl(["endpoint", "status", "-w", "fields"], endpoints: alive.map { members[$0].endpoint })
        // One block per endpoint: "MemberID" : N … "Leader" : N … "Endpoint" : "…".
        for block in reply.stdout.components(separatedBy: "\"ClusterID\"").dropFirst() {
            func field(_ name: String) -> String? {
                block.components(separatedBy: "\n").first { $0.hasPrefix("\"\(name)\"") }?
                    .components(separatedBy: " : ").last?.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            }
            if let member = field("MemberID"), member == field("Leader"), let endpoint = field("Endpoint"),
               let index = members.firstIndex(where: { endpoint.hasSuffix($0.endpoint) }) {
                return index
            }
        }
        throw ProcessFailure(description: "no leader in: \(reply.stdout)")
    }

    /// Runs `etcdctl` against member `member` (default: every member still running).
    @discardableResult
    public func etcdctl(_ arguments: [String], member: Int? = nil, endpoints: [String]? = nil) async throws -> (status: Int32, stdout: String, stderr: String) {
        let targets = endpoints ?? member.map { [members[$0].endpoint] } ?? members.filter { $0.process != nil }.map(\.endpoint)
        let secure = tls.map { ["--cacert", $0.caCertificate] } ?? []
        let result = try await runProcess("/usr/bin/etcdctl", ["--endpoints=\(targets.map { "\(clientScheme)://\($0)" }.joined(separator: ","))",
                                                               "--dial-timeout=1s", "--command-timeout=3s"] + secure + arguments)
        return (result.status, String(decoding: result.stdout, as: UTF8.self), String(decoding: result.stderr, as: UTF8.self))
    }

    /// `etcdctl …` that must succeed; its standard output.
    @discardableResult
    public func ctl(_ arguments: String...) async throws -> String {
        let result = try await etcdctl(arguments)
        guard result.status == 0 else { throw ProcessFailure(description: "etcdctl \(arguments) failed: \(result.stderr)") }
        return result.stdout
    }

    public func stop() {
        for index in members.indices { kill(index) }
        try? FileManager.default.removeItem(at: root)
    }

    deinit { stop() }
}

/// Ports the kernel hands out for port 0 on loopback, free when returned.
public func freePorts(_ count: Int) throws -> [Int] {
    var sockets: [Int32] = []
    defer { sockets.forEach { close($0) } }
    var ports: [Int] = []
    for _ in 0..<count {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ProcessFailure(description: "socket() failed") }
        sockets.append(fd)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard bound else { throw ProcessFailure(description: "bind() failed") }
        ports.append(Int(UInt16(bigEndian: address.sin_port)))
    }
    return ports
}
