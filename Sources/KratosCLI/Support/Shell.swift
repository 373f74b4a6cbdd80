/// Quoting for POSIX shells (sh, dash, bash, zsh), for the command lines kratos prints.
enum Shell {
    /// `word` as one shell word that stands for itself wherever it appears on a command line:
    /// bare when the shell would leave it alone, otherwise in single quotes, with each `'` in it
    /// written `'\''`.
    static func quote(_ word: String) -> String {
        isBare(word) ? word : "'" + word.replacingOccurrences(of: "'", with: #"'\''"#) + "'"
    }

    /// Characters no POSIX shell expands, splits or treats as syntax, in any position.
    private static let bareCharacters = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,@%+=")

    /// Non-empty, only ``bareCharacters``, not starting with `=` (zsh expands `=cmd` to its
    /// path), and not `NAME=…`, which the shell takes as an assignment when it comes first.
    private static func isBare(_ word: String) -> Bool {
        guard let first = word.first, first != "=", word.allSatisfy(bareCharacters.contains) else { return false }
        guard let equals = word.firstIndex(of: "=") else { return true }
        return !isName(word[..<equals])
    }

    /// A shell variable name: a letter or `_`, then letters, digits and `_`.
    private static func isName(_ text: Substring) -> Bool {
        guard let first = text.first, first == "_" || (first.isASCII && first.isLetter) else { return false }
        return text.allSatisfy { $0 == "_" || ($0.isASCII && ($0.isLetter || $0.isNumber)) }
    }
}
