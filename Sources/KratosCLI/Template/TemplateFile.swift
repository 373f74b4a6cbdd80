import Foundation
import KratosTemplates

/// One file of a template, as read from the embedded copy, a git tree or a directory.
public struct TemplateFile: Sendable, Equatable {
    public enum Mode: Sendable, Equatable {
        case regular
        case executable
        /// `contents` is the link's target.
        case symlink
    }

    /// Path relative to the project root, `/`-separated.
    public var path: String
    public var mode: Mode
    public var contents: [UInt8]

    public init(path: String, mode: Mode = .regular, contents: [UInt8]) {
        self.path = path
        self.mode = mode
        self.contents = contents
    }

    /// Names never taken from a template: VCS data and build products of a template built in place.
    /// (`kratos-embed-templates` applies the same rule when it embeds `Templates/`.)
    public static func isSkipped(name: String) -> Bool {
        name == ".git" || name == ".swiftpm" || name == "Package.resolved" || name == ".DS_Store"
            || name.hasPrefix(".build") || name == ".kratos-dev"
    }
}

extension TemplateFile {
    init(_ embedded: EmbeddedTemplate.File) {
        let mode: Mode = switch embedded.mode {
        case .regular: .regular
        case .executable: .executable
        case .symlink: .symlink
        }
        self.init(path: embedded.path, mode: mode, contents: embedded.contents)
    }

    /// Every file below `root` on disk, sorted by path.
    static func read(directory root: URL) throws -> [TemplateFile] {
        let fm = FileManager.default
        var files: [TemplateFile] = []
        func walk(_ dir: URL, _ prefix: String) throws {
            for name in try fm.contentsOfDirectory(atPath: dir.path).sorted() where !isSkipped(name: name) {
                let url = dir.appendingPathComponent(name)
                let path = prefix.isEmpty ? name : prefix + "/" + name
                let attributes = try fm.attributesOfItem(atPath: url.path)
                switch attributes[.type] as? FileAttributeType {
                case .typeDirectory?:
                    try walk(url, path)
                case .typeSymbolicLink?:
                    let target = try fm.destinationOfSymbolicLink(atPath: url.path)
                    files.append(TemplateFile(path: path, mode: .symlink, contents: Array(target.utf8)))
                case .typeRegular?:
                    let permissions = (attributes[.posixPermissions] as? NSNumber)?.intValue ?? 0o644
                    files.append(TemplateFile(path: path, mode: permissions & 0o111 != 0 ? .executable : .regular,
                                              contents: Array(try Data(contentsOf: url))))
                default:
                    continue
                }
            }
        }
        try walk(root, "")
        return files
    }
}
