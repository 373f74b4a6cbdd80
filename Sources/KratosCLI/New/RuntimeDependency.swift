import Foundation

/// How a new project depends on the Kratos runtime.
///
/// The template's manifest names the runtime as `.package(path: ".kratos-dev/kratos-swift")` (a
/// link to this repository, so the template builds in place); `kratos new` replaces that line:
/// - by local path when kratos runs from a checkout or an install made from one (works offline):
///   the checkout itself when its directory is called `kratos-swift`, else a link to it at
///   `$KRATOS_HOME/runtime/kratos-swift` (SwiftPM names a path dependency after its directory);
/// - by URL and version otherwise.
///
/// `KRATOS_RUNTIME` chooses: `remote` for the URL, or the path of a kratos-swift checkout.
struct RuntimeDependency: Equatable {
    static let placeholder = #".package(path: ".kratos-dev/kratos-swift")"#
    static let url = "https://github.com/go-kratos/kratos-swift.git"

    /// The manifest text that replaces ``placeholder``.
    let declaration: String
    /// `local` or `remote`, for the report.
    let kind: String
    /// A link to create before the project is used: (link, destination).
    let link: (at: URL, to: URL)?

    static func == (a: Self, b: Self) -> Bool { a.declaration == b.declaration && a.kind == b.kind }

    static func choose(_ environment: Environment) throws -> RuntimeDependency {
        let setting = environment.variables["KRATOS_RUNTIME"] ?? ""
        if setting == "remote" { return remote }
        let checkout: URL
        if setting.isEmpty {
            guard let builtFrom = try? SourceCheckout.builtFrom() else { return remote }
            checkout = builtFrom
        } else {
            checkout = environment.resolve(setting)
            try SourceCheckout.validate(checkout)
        }
        if checkout.lastPathComponent == "kratos-swift" {
            return RuntimeDependency(declaration: #".package(path: "\#(checkout.path)")"#, kind: "local", link: nil)
        }
        let link = environment.kratosHome.appendingPathComponent("runtime/kratos-swift")
        return RuntimeDependency(declaration: #".package(path: "\#(link.path)")"#, kind: "local", link: (link, checkout))
    }

    static let remote = RuntimeDependency(declaration: #".package(url: "\#(url)", from: "\#(KratosCommand.version)")"#,
                                          kind: "remote", link: nil)

    /// `files` with the placeholder in Package.swift replaced.
    func apply(to files: [TemplateFile]) -> [TemplateFile] {
        files.map { file in
            guard file.path == "Package.swift" else { return file }
            let text = String(decoding: file.contents, as: UTF8.self)
            guard text.contains(Self.placeholder) else { return file }
            var copy = file
            copy.contents = Array(text.replacingOccurrences(of: Self.placeholder, with: declaration).utf8)
            return copy
        }
    }

    /// Creates or repoints the link the declaration uses.
    func prepare() throws {
        guard let link else { return }
        let fm = FileManager.default
        if (try? fm.destinationOfSymbolicLink(atPath: link.at.path)) == link.to.path { return }
        try fm.createDirectory(at: link.at.deletingLastPathComponent(), withIntermediateDirectories: true)
        let temporary = link.at.deletingLastPathComponent().appendingPathComponent(".kratos-swift-\(UUID().uuidString.prefix(8))")
        try fm.createSymbolicLink(atPath: temporary.path, withDestinationPath: link.to.path)
        guard rename(temporary.path, link.at.path) == 0 else {
            try? fm.removeItem(at: temporary)
            throw CLIError.failure("cannot link \(link.at.path) to \(link.to.path)", fix: "check that \(environmentHint) is writable")
        }
    }

    private var environmentHint: String { link?.at.deletingLastPathComponent().path ?? "KRATOS_HOME" }
}
