import Foundation
import SwiftParser
import SwiftSyntax

/// `kratos new --nomod NAME`: adds a rendered service to the package around the current directory
/// instead of creating a package: its sources and tests are written beside the existing ones, its
/// protos and generated API code where the package has none yet (an existing API is shared), its targets and missing dependencies are inserted into the
/// manifest's `dependencies:` and `targets:` arrays (located with swift-syntax), its configuration
/// goes to `configs/NAME/`. Nothing is written when a file would be replaced or the manifest
/// cannot be edited safely.
struct AddToPackage {
    let root: URL
    /// The rendered template's files.
    let files: [TemplateFile]
    let project: ProjectName

    /// What would be written, relative to the package root, and the new manifest text.
    func plan() throws -> (files: [TemplateFile], manifest: String) {
        guard let rendered = files.first(where: { $0.path == "Package.swift" }) else {
            throw CLIError.failure("the template has no Package.swift", fix: "use a Swift package as the template")
        }
        let manifestURL = root.appendingPathComponent("Package.swift")
        let existing = try String(contentsOf: manifestURL, encoding: .utf8)
        let template = try ManifestArrays(String(decoding: rendered.contents, as: UTF8.self), file: "the template's Package.swift")
        let target = try ManifestArrays(existing, file: manifestURL.path)

        // Targets: the template's, minus those the package already has (a shared API target).
        var targets: [String] = []
        for element in template.targets {
            guard let name = ManifestArrays.name(of: element) else { continue }
            if target.targetNames.contains(name) {
                guard name == "API" else {
                    throw CLIError.failure("\(manifestURL.path) already has a target \(name); nothing was changed",
                                           fix: "choose another service name")
                }
                continue
            }
            targets.append(element)
        }
        // Dependencies the package lacks, by their last path component (SwiftPM's identity).
        let dependencies = template.dependencies.filter { element in
            guard let identity = ManifestArrays.identity(of: element) else { return false }
            return !target.dependencyIdentities.contains(identity)
        }
        let manifest = try target.inserting(dependencies: dependencies, targets: targets)

        // Files: sources, tests, protos and generated code; the configuration under configs/NAME.
        let fm = FileManager.default
        var planned: [TemplateFile] = []
        var conflicts: [String] = []
        for file in files {
            var path = file.path
            if path.hasPrefix("configs/") { path = "configs/\(project.packageName)/" + path.dropFirst("configs/".count) }
            guard ["Sources/", "Tests/", "api/", "third_party/", "configs/"].contains(where: { path.hasPrefix($0) }) else { continue }
            let destination = root.appendingPathComponent(path)
            if let current = fm.contents(atPath: destination.path) {
                // The shared API (protos, their generated code, third_party) is kept as the package
                // has it; anything else would be replaced.
                let shared = ["api/", "Sources/API/", "third_party/"].contains { path.hasPrefix($0) }
                if shared || Array(current) == file.contents { continue }
                conflicts.append(path)
                continue
            }
            var copy = file
            copy.path = path
            planned.append(copy)
        }
        guard conflicts.isEmpty else {
            throw CLIError.failure("adding \(project.packageName) would replace \(conflicts.joined(separator: ", ")); nothing was changed",
                                   fix: "choose another service name, or move those files aside")
        }
        return (planned, manifest)
    }

    /// Writes the planned files (each through a temporary name) and then the manifest.
    func write(_ plan: (files: [TemplateFile], manifest: String)) throws {
        let staging = root.appendingPathComponent(".kratos-nomod-\(UUID().uuidString.prefix(8))")
        let fm = FileManager.default
        try fm.createDirectory(at: staging, withIntermediateDirectories: true)
        defer { try? fm.removeItem(at: staging) }
        try FileSystem.write(plan.files, into: staging)
        var moved: [URL] = []
        do {
            for file in plan.files {
                let destination = root.appendingPathComponent(file.path)
                try fm.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
                try fm.moveItem(at: staging.appendingPathComponent(file.path), to: destination)
                moved.append(destination)
            }
            let manifest = staging.appendingPathComponent("Package.swift")
            try Data(plan.manifest.utf8).write(to: manifest)
            guard rename(manifest.path, root.appendingPathComponent("Package.swift").path) == 0 else {
                throw CLIError.failure("cannot write \(root.path)/Package.swift")
            }
        } catch {
            for url in moved { try? fm.removeItem(at: url) }
            throw error
        }
    }
}

/// The `dependencies:` and `targets:` array literals of a manifest's `Package(…)` call.
struct ManifestArrays {
    let source: String
    let dependencyArray: ArrayExprSyntax
    let targetArray: ArrayExprSyntax

    init(_ source: String, file: String) throws {
        self.source = source
        let finder = PackageCallFinder(viewMode: .sourceAccurate)
        finder.walk(Parser.parse(source: source))
        guard let dependencies = finder.arrays["dependencies"], let targets = finder.arrays["targets"] else {
            throw CLIError.failure("\(file) has no `dependencies: [...]` and `targets: [...]` array literals in Package(...); nothing was changed",
                                   fix: "add the service's targets by hand, or create a package with `kratos new NAME` (without --nomod)")
        }
        dependencyArray = dependencies
        targetArray = targets
    }

    var dependencies: [String] { dependencyArray.elements.map { $0.expression.trimmedDescription } }
    var targets: [String] { targetArray.elements.map { $0.expression.trimmedDescription } }
    var targetNames: Set<String> { Set(targets.compactMap(Self.name(of:))) }
    var dependencyIdentities: Set<String> { Set(dependencies.compactMap(Self.identity(of:))) }

    /// `name: "X"` of a target declaration.
    static func name(of element: String) -> String? {
        firstString(after: "name:", in: element)
    }

    /// The last path component of a dependency's url or path, without `.git`, lower-cased.
    static func identity(of element: String) -> String? {
        guard let location = firstString(after: "url:", in: element) ?? firstString(after: "path:", in: element) else { return nil }
        var last = location.split(separator: "/").last.map(String.init) ?? location
        if last.hasSuffix(".git") { last.removeLast(4) }
        return last.lowercased()
    }

    private static func firstString(after label: String, in text: String) -> String? {
        guard let range = text.range(of: label) else { return nil }
        let rest = text[range.upperBound...].drop { $0 == " " }
        guard rest.first == "\"" else { return nil }
        return String(rest.dropFirst().prefix { $0 != "\"" })
    }

    /// The manifest with `dependencies` and `targets` appended to their arrays.
    func inserting(dependencies: [String], targets: [String]) throws -> String {
        var edits: [(offset: Int, text: String)] = []
        for (array, elements) in [(dependencyArray, dependencies), (targetArray, targets)] where !elements.isEmpty {
            let offset = array.rightSquare.positionAfterSkippingLeadingTrivia.utf8Offset
            let needsComma = array.elements.last.map { $0.trailingComma == nil } ?? false
            let text = (needsComma ? "," : "") + elements.map { "\n        " + $0 + "," }.joined() + "\n    "
            edits.append((offset, text))
        }
        var bytes = Array(source.utf8)
        for edit in edits.sorted(by: { $0.offset > $1.offset }) {
            // Insert after the last element, before the whitespace that precedes `]`.
            var at = edit.offset
            while at > 0, bytes[at - 1] == UInt8(ascii: " ") || bytes[at - 1] == UInt8(ascii: "\n") { at -= 1 }
            bytes.replaceSubrange(at..<edit.offset, with: Array(edit.text.utf8))
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Finds the array-literal arguments of the top-level `Package(...)` call.
private final class PackageCallFinder: SyntaxVisitor {
    var arrays: [String: ArrayExprSyntax] = [:]

    override func visit(_ node: FunctionCallExprSyntax) -> SyntaxVisitorContinueKind {
        guard node.calledExpression.trimmedDescription == "Package", arrays.isEmpty else { return .visitChildren }
        for argument in node.arguments {
            if let label = argument.label?.text, let array = argument.expression.as(ArrayExprSyntax.self) {
                arrays[label] = array
            }
        }
        return .skipChildren
    }
}
