import Foundation

/// The project `kratos new NAME` creates: where it goes and the names derived from NAME.
///
/// NAME may be a bare name (`helloworld`), a relative or absolute path, or `~/path`; the project
/// name is its last component. From it:
/// - the **package name** is the name itself (`hello-world`);
/// - the **module name** is UpperCamelCase, each `-`, `_` or `.` starting a new word
///   (`hello-world` → `HelloWorld`);
/// - the **C99 name** joins the words with `_` (`hello-world` → `hello_world`), as SwiftPM names the
///   module of a target called `hello-world`.
public struct ProjectName: Sendable, Equatable {
    public let packageName: String
    public let moduleName: String
    public let c99Name: String
    /// Absolute destination directory.
    public let directory: URL

    /// Validates `raw` and derives the project's names and directory.
    /// - Throws: ``CLIError/usage(_:fix:)`` naming the input and the fix.
    public init(_ raw: String, environment: Environment) throws {
        let trimmed = raw.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else {
            throw CLIError.usage("the project name is empty", fix: "give a name, e.g. `kratos new helloworld`")
        }
        if trimmed == "~" || trimmed == "~/" {
            throw CLIError.usage("\"\(raw)\" is your home directory, not a project",
                                 fix: "name the project inside it, e.g. `kratos new ~/helloworld`")
        }
        if trimmed.hasPrefix("~"), !trimmed.hasPrefix("~/") {
            throw CLIError.usage("\"\(raw)\": only `~/` is expanded, not `~user`",
                                 fix: "write the full path, e.g. /home/user/helloworld")
        }
        let components = trimmed.split(separator: "/", omittingEmptySubsequences: true)
        if components.contains("..") {
            throw CLIError.usage("\"\(raw)\" contains `..`",
                                 fix: "use an absolute path or run kratos from the parent directory")
        }
        guard let last = components.last.map(String.init), last != "." else {
            throw CLIError.usage("\"\(raw)\" does not name a project directory",
                                 fix: "end the path with the project's name, e.g. `kratos new ./helloworld`")
        }
        guard Self.isValid(last) else {
            throw CLIError.usage(
                "\"\(last)\" cannot become a Swift identifier",
                fix: "start the name with a letter and use only letters, digits, `-`, `_` and `.` (e.g. `hello-world`)")
        }
        let words = Self.words(of: last)
        packageName = last
        moduleName = words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
        c99Name = words.joined(separator: "_")
        if Self.reserved.contains(moduleName) || Self.reserved.contains(c99Name) {
            throw CLIError.usage("\"\(last)\" would name a module `\(moduleName)`, which Swift reserves",
                                 fix: "choose another name, e.g. `\(last)-service`")
        }
        directory = environment.resolve(trimmed)
    }

    /// The words of a name: runs of ASCII letters and digits between `-`, `_` and `.`.
    public static func words(of name: String) -> [String] {
        name.split(whereSeparator: { $0 == "-" || $0 == "_" || $0 == "." }).map(String.init)
    }

    static func isValid(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first.isASCIILetter else { return false }
        return name.unicodeScalars.allSatisfy { $0.isASCIILetter || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }
    }

    /// Names that cannot serve as a module: keywords and the standard modules a project imports.
    static let reserved: Set<String> = [
        "Any", "Self", "Type", "Protocol", "Swift", "Foundation", "Dispatch", "Glibc", "Darwin", "XCTest", "Testing",
        "associatedtype", "class", "deinit", "enum", "extension", "fileprivate", "func", "import", "init", "inout",
        "internal", "let", "open", "operator", "private", "protocol", "public", "rethrows", "static", "struct",
        "subscript", "typealias", "var", "break", "case", "continue", "default", "defer", "do", "else", "fallthrough",
        "for", "guard", "if", "in", "repeat", "return", "switch", "where", "while", "as", "catch", "false", "is", "nil",
        "super", "self", "throw", "throws", "true", "try",
    ]
}

extension Unicode.Scalar {
    var isASCIILetter: Bool { ("a"..."z").contains(self) || ("A"..."Z").contains(self) }
}
