import Foundation

/// A project template compiled into the CLI from the repository's `Templates/` directory.
///
/// The list itself, ``EmbeddedTemplate/all``, is generated at build time by the
/// `EmbedTemplates` plugin; contents stay base64 until a template is used.
public struct EmbeddedTemplate: Sendable {
    /// One file of a template.
    public struct File: Sendable {
        /// How the file is written out.
        public enum Mode: Sendable {
            case regular
            case executable
            /// The contents are the link's target.
            case symlink
        }

        /// Path relative to the template root, `/`-separated.
        public let path: String
        public let mode: Mode
        let base64: String

        public init(path: String, mode: Mode, base64: String) {
            self.path = path
            self.mode = mode
            self.base64 = base64
        }

        /// The file's bytes.
        public var contents: [UInt8] {
            Data(base64Encoded: base64).map { [UInt8]($0) } ?? []
        }
    }

    /// The template's directory name under `Templates/`.
    public let name: String
    public let files: [File]

    public init(name: String, files: [File]) {
        self.name = name
        self.files = files
    }

    /// The template `kratos new` uses when no repository is given.
    public static let defaultName = "service"

    /// The embedded template called `name`, if any.
    public static func named(_ name: String) -> EmbeddedTemplate? {
        all.first { $0.name == name }
    }
}
