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
    /// `git_libgit2_init` runs once, the first time any wrapper needs libgit2.
    static let ready: Bool = git_libgit2_init() > 0

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
