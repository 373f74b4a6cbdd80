import CLibGit2

/// A libgit2 call that failed: what was attempted and libgit2's own message.
struct GitError: Error, CustomStringConvertible {
    let operation: String
    let code: Int32
    let message: String

    var description: String { "\(operation): \(message)" }
}

/// Process-wide libgit2 setup and error checking.
enum Libgit2 {
    /// Initialises libgit2 for this process. Every wrapper that opens or creates a repository
    /// calls it first, as a statement of its own; the first call runs `git_libgit2_init`, later
    /// calls (from any thread) only read its result. Throws when libgit2 could not initialise.
    static func initialize() throws {
        try check(initialization, "initialise libgit2")
    }

    /// `git_libgit2_init`'s result: run once, lazily and thread-safely, as every `static let` is.
    private static let initialization: Int32 = git_libgit2_init()

    /// Throws a ``GitError`` carrying libgit2's last message when `code` is negative.
    static func check(_ code: Int32, _ operation: @autoclosure () -> String) throws {
        guard code < 0 else { return }
        throw GitError(operation: operation(), code: code, message: lastErrorMessage)
    }

    static var lastErrorMessage: String {
        guard let error = git_error_last(), let message = error.pointee.message else { return "unknown libgit2 error" }
        return String(cString: message)
    }

    /// libgit2's version, e.g. `1.5.1`.
    static var version: String {
        var major: Int32 = 0, minor: Int32 = 0, patch: Int32 = 0
        git_libgit2_version(&major, &minor, &patch)
        return "\(major).\(minor).\(patch)"
    }
}
