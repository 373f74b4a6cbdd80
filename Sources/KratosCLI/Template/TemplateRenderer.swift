import Foundation

/// Turns a template into a project: the template's own package name, read from its
/// `Package.swift`, is the placeholder replaced by the project's names in file contents and paths.
///
/// Each form of the template's name maps to the same form of the project's name, so a template
/// called `kratos-layout` with a module `KratosLayout` becomes `hello-world` with `HelloWorld`:
/// package name → package name, UpperCamelCase → ``ProjectName/moduleName``, C99 form
/// (`kratos_layout`) → ``ProjectName/c99Name``. Longer forms are matched first, and replaced text is
/// never scanned again.
public struct TemplateRenderer: Sendable {
    /// The template's package name, as its `Package.swift` declares it.
    public let templateName: String
    let replacements: [(from: [UInt8], to: [UInt8])]

    public init(templateName: String, project: ProjectName) {
        self.templateName = templateName
        let words = ProjectName.words(of: templateName)
        let forms: [(String, String)] = [
            (templateName, project.packageName),
            (words.map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined(), project.moduleName),
            (words.joined(separator: "_"), project.c99Name),
        ]
        var seen = Set<String>()
        replacements = forms
            .filter { !$0.0.isEmpty && seen.insert($0.0).inserted }
            .map { (Array($0.0.utf8), Array($0.1.utf8)) }
            .sorted { $0.from.count > $1.from.count }
    }

    /// Reads the package name from the template's root `Package.swift`.
    /// - Throws: a failure when the template is not a Swift package.
    public static func packageName(in files: [TemplateFile], template: String) throws -> String {
        guard let manifest = files.first(where: { $0.path == "Package.swift" }) else {
            throw CLIError.failure("template \(template) has no Package.swift at its root",
                                   fix: "use a Swift package as the template (`-r` points at its repository)")
        }
        let text = String(decoding: manifest.contents, as: UTF8.self)
        guard let match = text.firstMatch(of: /Package\s*\(\s*name\s*:\s*"([^"\\]+)"/) else {
            throw CLIError.failure("template \(template): Package.swift declares no `Package(name: \"…\")`",
                                   fix: "give the template's package a literal name")
        }
        return String(match.1)
    }

    /// The project's files: paths and text contents with every form of the template name replaced.
    /// - Throws: a failure when a template path would escape the project directory.
    public func render(_ files: [TemplateFile]) throws -> [TemplateFile] {
        try files.map { file in
            let path = String(decoding: replace(Array(file.path.utf8)), as: UTF8.self)
            let parts = path.split(separator: "/", omittingEmptySubsequences: false)
            guard !path.hasPrefix("/"), !parts.contains(".."), !parts.contains("") else {
                throw CLIError.failure("template file \"\(file.path)\" would be written outside the project",
                                       fix: "fix the template: its paths must stay inside it")
            }
            var out = file
            out.path = path
            if file.mode == .symlink || Self.isText(file.contents) {
                out.contents = replace(file.contents)
            }
            return out
        }
    }

    /// `bytes` with every template-name form replaced, left to right, longest form first.
    func replace(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        scan: while i < bytes.count {
            for (from, to) in replacements where bytes[i] == from[0] && i + from.count <= bytes.count {
                if bytes[i..<(i + from.count)].elementsEqual(from) {
                    out.append(contentsOf: to)
                    i += from.count
                    continue scan
                }
            }
            out.append(bytes[i])
            i += 1
        }
        return out
    }

    /// Text is valid UTF-8 without NUL bytes; anything else is copied unchanged.
    static func isText(_ bytes: [UInt8]) -> Bool {
        !bytes.contains(0) && String(validating: bytes, as: UTF8.self) != nil
    }
}
