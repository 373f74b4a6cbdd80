import Foundation
import KratosTemplates

/// A template's files and where they came from.
public struct LoadedTemplate: Sendable {
    public var files: [TemplateFile]
    public var origin: Origin
    /// Things the user should know that did not stop the command (a failed refresh, skipped submodules).
    public var warnings: [String]

    /// Where the files came from, as reported by `kratos new --json`.
    public struct Origin: Sendable, Encodable, Equatable {
        /// `embedded`, `directory` or `git`.
        public var kind: String
        /// The template's name, path or URL as the user gave it.
        public var source: String
        public var ref: String?
        public var commit: String?
        /// The cached clone used, for git templates.
        public var cache: String?
        /// Whether the cache was refreshed from the remote during this run.
        public var fetched: Bool?
    }
}

/// Reads templates: embedded, from a directory, or from git through the cache.
///
/// Git templates are kept as bare clones in `$KRATOS_HOME/repo/<host>/<path>@<ref>` and rendered
/// from the commit's tree, so the cache never has a work tree to get out of date. A tag or a
/// commit pins its clone: it is reused without contacting the remote. A branch (or the default
/// branch) is fetched each time, and when the fetch fails the cached copy is used with a warning.
public struct TemplateLoader: Sendable {
    public var environment: Environment
    public var timeout: Duration
    /// A dry run never writes the cache: it reads an existing clone as it is, or clones into a
    /// temporary directory that is removed afterwards.
    public var dryRun: Bool

    public init(environment: Environment, timeout: Duration = .seconds(60), dryRun: Bool = false) {
        self.environment = environment
        self.timeout = timeout
        self.dryRun = dryRun
    }

    public func load(_ location: TemplateLocation, source: String, ref: String?) throws -> LoadedTemplate {
        switch location {
        case .embedded(let name):
            try rejectRef(ref, for: "the embedded template", fix: "drop -b, or pass -r with a git repository")
            guard let template = EmbeddedTemplate.named(name) else {
                throw CLIError.failure("no embedded template named \(name)", fix: "reinstall kratos")
            }
            return LoadedTemplate(files: template.files.map(TemplateFile.init),
                                  origin: .init(kind: "embedded", source: name), warnings: [])
        case .directory(let url):
            try rejectRef(ref, for: "\(source) (not a git repository)", fix: "drop -b, or make the template a git repository")
            do {
                return LoadedTemplate(files: try TemplateFile.read(directory: url),
                                      origin: .init(kind: "directory", source: url.path), warnings: [])
            } catch {
                throw CLIError.failure("cannot read template \(url.path): \(error.localizedDescription)")
            }
        case .git(let remote):
            return try loadGit(remote, source: source, ref: ref)
        }
    }

    private func rejectRef(_ ref: String?, for what: String, fix: String) throws {
        if let ref {
            throw CLIError.usage("-b \(ref): \(what) has no branches, tags or commits", fix: fix)
        }
    }

    private func loadGit(_ remote: GitRemote, source: String, ref: String?) throws -> LoadedTemplate {
        let cache = remote.cacheDirectory(kratosHome: environment.kratosHome, ref: ref)
        let transfer = GitTransfer(label: source, terminal: environment.terminal, home: environment.home, showProgress: true)
        let timeoutError = CLIError.failure(
            "cloning \(source) took longer than the \(timeout) timeout",
            fix: "raise it with -t (e.g. -t 5m), check your network or proxy (https_proxy), or drop -r to use the embedded template")
        let dryRun = self.dryRun
        return try GitWorker.run(timeout: timeout, transfer: transfer, timeoutError: timeoutError) {
            if let repo = try GitRepository.open(cache.path) {
                return try Self.readCached(repo, cache: cache, source: source, ref: ref, transfer: transfer, dryRun: dryRun)
            }
            return try Self.clone(remote, into: cache, source: source, ref: ref, transfer: transfer, dryRun: dryRun)
        }
    }

    private static func readCached(_ repo: GitRepository, cache: URL, source: String, ref: String?,
                                   transfer: GitTransfer, dryRun: Bool) throws -> LoadedTemplate {
        var warnings: [String] = []
        var fetched = false
        if !isPinned(ref, in: repo), !dryRun {
            do {
                try repo.fetchOrigin(transfer: transfer)
                fetched = true
            } catch let error as CLIError {
                throw error
            } catch {
                warnings.append("could not update \(source) (\(error)); using the cached copy in \(cache.path)")
            }
        }
        guard let commit = resolve(ref, in: repo) else { throw unknownRef(ref, source: source) }
        var skipped: [String] = []
        let files = try repo.files(ofCommit: commit, skipped: &skipped)
        return LoadedTemplate(
            files: files,
            origin: .init(kind: "git", source: source, ref: ref, commit: commit, cache: cache.path, fetched: fetched),
            warnings: warnings + skippedWarnings(skipped))
    }

    private static func clone(_ remote: GitRemote, into cache: URL, source: String, ref: String?,
                              transfer: GitTransfer, dryRun: Bool) throws -> LoadedTemplate {
        let fm = FileManager.default
        let parent = dryRun ? fm.temporaryDirectory : cache.deletingLastPathComponent()
        let created = try FileSystem.createDirectories(parent)
        let staging = parent.appendingPathComponent(".clone-\(cache.lastPathComponent)-\(UUID().uuidString.prefix(8))")
        defer {
            try? fm.removeItem(at: staging)
            FileSystem.removeEmpty(created)
        }
        let (commit, files, skipped): (String, [TemplateFile], [String]) = try {
            let repo: GitRepository
            do {
                repo = try GitRepository.cloneBare(remote.url, into: staging.path, transfer: transfer)
            } catch let error as GitError {
                throw CLIError.failure(
                    "could not clone template \(source): \(error.message)",
                    fix: "check the address and your network (https_proxy is honoured); once cloned, a tag or commit in -b works offline; without -r the embedded template needs no network")
            }
            guard let commit = resolve(ref, in: repo) else { throw unknownRef(ref, source: source) }
            var skipped: [String] = []
            return (commit, try repo.files(ofCommit: commit, skipped: &skipped), skipped)
        }()
        if !dryRun {
            try? fm.removeItem(at: cache)
            try fm.moveItem(at: staging, to: cache)
        }
        return LoadedTemplate(
            files: files,
            origin: .init(kind: "git", source: source, ref: ref, commit: commit, cache: dryRun ? nil : cache.path, fetched: true),
            warnings: skippedWarnings(skipped))
    }

    /// A tag, or a commit id that is not also a branch name, never changes: no fetch needed.
    static func isPinned(_ ref: String?, in repo: GitRepository) -> Bool {
        guard let ref else { return false }
        if repo.hasReference("refs/tags/\(ref)") { return true }
        return looksLikeCommit(ref) && !repo.hasReference("refs/remotes/origin/\(ref)") && repo.commitID(ref) != nil
    }

    /// The commit `ref` names in a bare clone: a branch, a tag, or a commit id; nil ref is the
    /// remote's default branch.
    static func resolve(_ ref: String?, in repo: GitRepository) -> String? {
        guard let ref else {
            if let id = repo.commitID("refs/remotes/origin/HEAD") { return id }
            if let branch = repo.headBranch, let id = repo.commitID("refs/remotes/origin/\(branch)") { return id }
            return repo.commitID("HEAD")
        }
        for name in ["refs/remotes/origin/\(ref)", "refs/tags/\(ref)", "refs/heads/\(ref)"] where repo.hasReference(name) {
            return repo.commitID(name)
        }
        return looksLikeCommit(ref) ? repo.commitID(ref) : nil
    }

    static func looksLikeCommit(_ ref: String) -> Bool {
        (4...40).contains(ref.count) && ref.allSatisfy(\.isHexDigit)
    }

    private static func unknownRef(_ ref: String?, source: String) -> CLIError {
        CLIError.failure("\(source) has no branch, tag or commit \"\(ref ?? "HEAD")\"",
                         fix: "list its refs with `git ls-remote \(source)` and pass one with -b")
    }

    private static func skippedWarnings(_ paths: [String]) -> [String] {
        paths.map { "skipped \($0): submodules are not copied from templates" }
    }
}
