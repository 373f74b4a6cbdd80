import CLibGit2

/// An open libgit2 repository. Not thread-safe: create and use it on one thread.
final class GitRepository {
    let pointer: OpaquePointer

    private init(_ pointer: OpaquePointer) {
        self.pointer = pointer
    }

    deinit {
        git_repository_free(pointer)
    }

    /// Opens the repository at `path` (a bare repository or a work tree with `.git`), or nil when
    /// `path` is not one. Parent directories are not searched.
    static func open(_ path: String) throws -> GitRepository? {
        try Libgit2.initialize()
        var repo: OpaquePointer?
        guard git_repository_open_ext(&repo, path, GIT_REPOSITORY_OPEN_NO_SEARCH.rawValue, nil) == 0, let repo else {
            return nil
        }
        return GitRepository(repo)
    }

    /// Creates an empty repository whose first branch is `initialBranch`.
    static func initialize(at path: String, initialBranch: String = "main") throws {
        try Libgit2.initialize()
        var options = git_repository_init_options()
        try Libgit2.check(git_repository_init_options_init(&options, UInt32(GIT_REPOSITORY_INIT_OPTIONS_VERSION)),
                          "git init \(path)")
        options.flags = GIT_REPOSITORY_INIT_MKPATH.rawValue
        var repo: OpaquePointer?
        let code = initialBranch.withCString { branch in
            options.initial_head = branch
            return git_repository_init_ext(&repo, path, &options)
        }
        try Libgit2.check(code, "git init \(path)")
        git_repository_free(repo)
    }

    /// Clones `url` as a bare repository into `path` (all branches and tags).
    static func cloneBare(_ url: String, into path: String, transfer: GitTransfer) throws -> GitRepository {
        try Libgit2.initialize()
        var options = git_clone_options()
        try Libgit2.check(git_clone_options_init(&options, UInt32(GIT_CLONE_OPTIONS_VERSION)), "clone \(url)")
        options.bare = 1
        transfer.configure(&options.fetch_opts)
        var repo: OpaquePointer?
        let code = git_clone(&repo, url, path, &options)
        if let failure = transfer.failure { throw failure }
        try Libgit2.check(code, "clone \(url)")
        return GitRepository(repo!)
    }

    /// Fetches every branch and tag of `origin`.
    func fetchOrigin(transfer: GitTransfer) throws {
        var remote: OpaquePointer?
        try Libgit2.check(git_remote_lookup(&remote, pointer, "origin"), "find remote origin")
        defer { git_remote_free(remote) }
        var options = git_fetch_options()
        try Libgit2.check(git_fetch_options_init(&options, UInt32(GIT_FETCH_OPTIONS_VERSION)), "fetch")
        transfer.configure(&options)
        options.prune = GIT_FETCH_PRUNE
        let code = git_remote_fetch(remote, nil, &options, nil)
        if let failure = transfer.failure { throw failure }
        try Libgit2.check(code, "fetch \(String(cString: git_remote_url(remote)))")
    }

    /// Whether the full reference name exists (`refs/tags/v1`).
    func hasReference(_ name: String) -> Bool {
        var oid = git_oid()
        return git_reference_name_to_id(&oid, pointer, name) == 0
    }

    /// The branch `HEAD` points at (`main`), if it is symbolic.
    var headBranch: String? {
        var ref: OpaquePointer?
        guard git_reference_lookup(&ref, pointer, "HEAD") == 0 else { return nil }
        defer { git_reference_free(ref) }
        guard let target = git_reference_symbolic_target(ref) else { return nil }
        let name = String(cString: target)
        return name.hasPrefix("refs/heads/") ? String(name.dropFirst("refs/heads/".count)) : nil
    }

    /// The commit id `spec` resolves to (any revparse expression), or nil.
    func commitID(_ spec: String) -> String? {
        var object: OpaquePointer?
        guard git_revparse_single(&object, pointer, spec + "^{commit}") == 0, let object else { return nil }
        defer { git_object_free(object) }
        return String(cString: git_oid_tostr_s(git_object_id(object)))
    }

    /// Every file of `commit`'s tree. Submodules cannot be read from a tree and are reported in
    /// `skipped`.
    func files(ofCommit commit: String, skipped: inout [String]) throws -> [TemplateFile] {
        var object: OpaquePointer?
        try Libgit2.check(git_revparse_single(&object, pointer, commit + "^{tree}"), "read tree of \(commit)")
        defer { git_object_free(object) }
        var files: [TemplateFile] = []
        try collect(tree: object!, prefix: "", into: &files, skipped: &skipped)
        return files.sorted { $0.path < $1.path }
    }

    private func collect(tree: OpaquePointer, prefix: String, into files: inout [TemplateFile], skipped: inout [String]) throws {
        for index in 0..<git_tree_entrycount(tree) {
            guard let entry = git_tree_entry_byindex(tree, index) else { continue }
            let name = String(cString: git_tree_entry_name(entry))
            guard !TemplateFile.isSkipped(name: name) else { continue }
            let path = prefix.isEmpty ? name : prefix + "/" + name
            switch git_tree_entry_type(entry) {
            case GIT_OBJECT_TREE:
                var subtree: OpaquePointer?
                try Libgit2.check(git_tree_lookup(&subtree, pointer, git_tree_entry_id(entry)), "read tree \(path)")
                defer { git_tree_free(subtree) }
                try collect(tree: subtree!, prefix: path, into: &files, skipped: &skipped)
            case GIT_OBJECT_BLOB:
                var blob: OpaquePointer?
                try Libgit2.check(git_blob_lookup(&blob, pointer, git_tree_entry_id(entry)), "read \(path)")
                defer { git_blob_free(blob) }
                let size = Int(git_blob_rawsize(blob))
                let bytes = size == 0 ? [] : Array(UnsafeRawBufferPointer(start: git_blob_rawcontent(blob), count: size))
                let mode: TemplateFile.Mode = switch git_tree_entry_filemode(entry) {
                case GIT_FILEMODE_BLOB_EXECUTABLE: .executable
                case GIT_FILEMODE_LINK: .symlink
                default: .regular
                }
                files.append(TemplateFile(path: path, mode: mode, contents: bytes))
            default:
                skipped.append(path)
            }
        }
    }
}
