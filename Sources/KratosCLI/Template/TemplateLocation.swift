import Foundation

/// Where `kratos new` takes its template from, as given by `-r/--repo`.
public enum TemplateLocation: Sendable, Equatable {
    /// A template compiled into the CLI (no `-r`).
    case embedded(String)
    /// A local Swift package that is not a git repository: read as it is on disk.
    case directory(URL)
    /// A git repository, cloned through libgit2 into the template cache.
    case git(GitRemote)

    /// Interprets `-r`: `https://`, `ssh://`, `git://`, `file://` URLs, scp-like `git@host:org/repo`,
    /// or a local path (`~/x` expanded). A local path that no longer exists still names its cache.
    public static func parse(_ raw: String, environment: Environment) throws -> TemplateLocation {
        let text = raw.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else {
            throw CLIError.usage("-r/--repo is empty", fix: "pass a repository URL or path, or drop -r to use the embedded template")
        }
        if let separator = text.range(of: "://") {
            let scheme = text[..<separator.lowerBound].lowercased()
            let rest = String(text[separator.upperBound...])
            switch scheme {
            case "file":
                guard rest.hasPrefix("/") else {
                    throw CLIError.usage("\"\(raw)\": a file:// URL needs an absolute path",
                                         fix: "write file:///absolute/path/to/repo")
                }
                return .git(GitRemote(url: text, host: "local", path: rest))
            case "https", "http", "ssh", "git":
                let authority = rest.prefix { $0 != "/" }
                let host = authority.split(separator: "@").last.map(String.init) ?? ""
                let path = String(rest.dropFirst(authority.count))
                guard !host.isEmpty, !GitRemote.clean(path).isEmpty else {
                    throw CLIError.usage("\"\(raw)\" names no repository", fix: "write it as \(scheme)://host/org/repo")
                }
                return .git(GitRemote(url: text, host: host, path: path))
            default:
                throw CLIError.usage("\"\(raw)\": unsupported scheme \(scheme)://",
                                     fix: "use https://, ssh://, git://, file://, git@host:org/repo or a local path")
            }
        }
        let local = environment.resolve(text)
        let exists = FileManager.default.fileExists(atPath: local.path)
        if !exists, !text.hasPrefix("/"), !text.hasPrefix("."), !text.hasPrefix("~"),
           let match = text.wholeMatch(of: /(?:[^@\/:]+@)?([^\/:]+):([^\/].*)/) {
            return .git(GitRemote(url: text, host: String(match.1), path: String(match.2)))
        }
        if exists {
            if try GitRepository.open(local.path) != nil {
                return .git(GitRemote(url: local.path, host: "local", path: local.path))
            }
            guard FileManager.default.fileExists(atPath: local.appendingPathComponent("Package.swift").path) else {
                throw CLIError.failure("\"\(raw)\" is neither a git repository nor a Swift package",
                                       fix: "point -r at a git repository or a directory with a Package.swift")
            }
            return .directory(local)
        }
        return .git(GitRemote(url: local.path, host: "local", path: local.path))
    }
}

/// A git repository holding a template, and where its clone is cached.
public struct GitRemote: Sendable, Equatable {
    /// What libgit2 is given to clone.
    public let url: String
    /// The host part of the cache path (`local` for paths and `file://`).
    public let host: String
    /// The repository path on the host, without `.git`.
    public let path: String

    init(url: String, host: String, path: String) {
        self.url = url
        self.host = host.replacingOccurrences(of: ":", with: "_")
        self.path = Self.clean(path)
    }

    /// `$KRATOS_HOME/repo/<host>/<path>@<ref>`; `HEAD` stands for the default branch.
    public func cacheDirectory(kratosHome: URL, ref: String?) -> URL {
        let parts = [Self.component(host)] + path.split(separator: "/").map { Self.component(String($0)) }
        var url = kratosHome.appendingPathComponent("repo", isDirectory: true)
        for part in parts.dropLast() {
            url.appendPathComponent(part, isDirectory: true)
        }
        return url.appendingPathComponent((parts.last ?? "repo") + "@" + Self.component(ref ?? "HEAD"), isDirectory: true)
    }

    /// `path` without empty, `.` and `..` components or a `.git` suffix.
    static func clean(_ path: String) -> String {
        var parts = path.split(separator: "/").map(String.init).filter { $0 != "." && $0 != ".." }
        if let last = parts.last, last.hasSuffix(".git") {
            parts[parts.count - 1] = String(last.dropLast(4))
        }
        return parts.filter { !$0.isEmpty }.joined(separator: "/")
    }

    /// One path component safe on any file system: characters other than letters, digits, `.`,
    /// `_` and `-` become `_`.
    static func component(_ text: String) -> String {
        String(text.unicodeScalars.map { $0.isASCIILetter || ("0"..."9").contains($0) || "._-".unicodeScalars.contains($0) ? Character($0) : "_" })
    }
}
