import CLibGit2
import Foundation

/// The callbacks of one clone or fetch: progress on a TTY, ssh credentials, and cancellation
/// when the `--timeout` deadline passes.
///
/// libgit2 calls back with the object as its payload, so the caller keeps it alive for the
/// duration of the transfer.
final class GitTransfer: @unchecked Sendable {
    private let lock = NSLock()
    private var cancelledReason: CLIError?
    private var credentialAttempts = 0
    private var lastDraw = DispatchTime(uptimeNanoseconds: 0)
    private var drewProgress = false
    private let terminal: Terminal
    private let showProgress: Bool
    private let home: URL
    private let label: String

    init(label: String, terminal: Terminal, home: URL, showProgress: Bool) {
        self.label = label
        self.terminal = terminal
        self.home = home
        self.showProgress = showProgress && terminal.stderrIsTTY
    }

    /// Set when the transfer was stopped on purpose; it replaces libgit2's "user cancelled" error.
    var failure: CLIError? { lock.withLock { cancelledReason } }

    func cancel(because reason: CLIError) {
        lock.withLock { if cancelledReason == nil { cancelledReason = reason } }
    }

    var isCancelled: Bool { failure != nil }

    /// Installs the callbacks and the proxy setting (`http.proxy`, `https_proxy`, …) on `options`.
    func configure(_ options: inout git_fetch_options) {
        options.download_tags = GIT_REMOTE_DOWNLOAD_TAGS_ALL
        options.proxy_opts.type = GIT_PROXY_AUTO
        options.callbacks.payload = Unmanaged.passUnretained(self).toOpaque()
        options.callbacks.transfer_progress = Self.transferProgress
        options.callbacks.sideband_progress = Self.sidebandProgress
        options.callbacks.credentials = Self.credentials
    }

    /// Clears the progress line once the transfer is over.
    func finish() {
        lock.withLock {
            if drewProgress {
                terminal.write("\r\u{1B}[K", to: .stderr)
                drewProgress = false
            }
        }
    }

    private func draw(_ stats: git_indexer_progress) {
        guard showProgress else { return }
        let now = DispatchTime.now()
        lock.withLock {
            let complete = stats.total_objects > 0 && stats.received_objects == stats.total_objects
                && stats.indexed_deltas == stats.total_deltas
            guard complete || now.uptimeNanoseconds - lastDraw.uptimeNanoseconds > 80_000_000 else { return }
            lastDraw = now
            let total = max(Int(stats.total_objects), 1)
            let received = Int(stats.received_objects)
            let mib = Double(stats.received_bytes) / 1_048_576
            var text = "\r\u{1B}[KCloning \(label): \(received * 100 / total)% (\(received)/\(total) objects, "
                + String(format: "%.1f MiB", mib) + ")"
            if stats.total_deltas > 0, received == total {
                text += ", resolving deltas \(stats.indexed_deltas)/\(stats.total_deltas)"
            }
            terminal.write(text, to: .stderr)
            drewProgress = true
        }
    }

    private func nextCredentialAttempt() -> Int {
        lock.withLock {
            defer { credentialAttempts += 1 }
            return credentialAttempts
        }
    }

    private static func from(_ payload: UnsafeMutableRawPointer?) -> GitTransfer {
        Unmanaged<GitTransfer>.fromOpaque(payload!).takeUnretainedValue()
    }

    private static let transferProgress: git_indexer_progress_cb = { stats, payload in
        let transfer = from(payload)
        if transfer.isCancelled { return -1 }
        if let stats { transfer.draw(stats.pointee) }
        return 0
    }

    private static let sidebandProgress: git_transport_message_cb = { _, _, payload in
        from(payload).isCancelled ? -1 : 0
    }

    /// ssh: the agent first, then the usual key files; anything else falls through to libgit2.
    private static let credentials: git_credential_acquire_cb = { out, _, username, allowed, payload in
        let transfer = from(payload)
        if transfer.isCancelled { return -1 }
        guard allowed & GIT_CREDENTIAL_SSH_KEY.rawValue != 0 else { return GIT_PASSTHROUGH.rawValue }
        let user = username.map { String(cString: $0) } ?? "git"
        let attempt = transfer.nextCredentialAttempt()
        if attempt == 0 {
            return git_credential_ssh_key_from_agent(out, user)
        }
        let keys = ["id_ed25519", "id_ecdsa", "id_rsa"]
            .map { transfer.home.appendingPathComponent(".ssh/\($0)").path }
            .filter { FileManager.default.fileExists(atPath: $0) }
        guard attempt - 1 < keys.count else { return GIT_EAUTH.rawValue }
        return git_credential_ssh_key_new(out, user, nil, keys[attempt - 1], nil)
    }
}

/// Runs blocking libgit2 work on a thread of its own, so it never occupies Swift's cooperative
/// pool, and gives up when the deadline passes.
enum GitWorker {
    static func run<T: Sendable>(
        timeout: Duration,
        transfer: GitTransfer,
        timeoutError: CLIError,
        _ body: @escaping @Sendable () throws -> T
    ) throws -> T {
        let result = LockedBox<Result<T, any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            result.set(Result { try body() })
            done.signal()
        }
        thread.stackSize = 8 << 20
        thread.start()
        let (seconds, attoseconds) = timeout.components
        let (whole, overflow) = max(0, seconds).multipliedReportingOverflow(by: 1_000_000_000)
        let nanos = overflow ? Int64.max : whole.addingReportingOverflow(max(0, attoseconds) / 1_000_000_000).partialValue
        if done.wait(timeout: .now() + .nanoseconds(Int(clamping: nanos))) == .timedOut {
            transfer.cancel(because: timeoutError)
            // libgit2 notices at its next callback; a connect that hangs is left behind.
            _ = done.wait(timeout: .now() + .seconds(2))
            transfer.finish()
            throw timeoutError
        }
        transfer.finish()
        guard let outcome = result.get() else {
            throw CLIError.failure("the git operation ended without a result", fix: "run the command again")
        }
        return try outcome.get()
    }
}
