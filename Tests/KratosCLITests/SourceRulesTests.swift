import Foundation
import Testing

/// Rules about the sources that no behaviour of a debug build on this machine can show.
@Suite struct SourceRulesTests {
    /// KratosCLI's sources, found from this file: <root>/Tests/KratosCLITests/SourceRulesTests.swift.
    static let sources = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Sources/KratosCLI").resolvingSymlinksInPath()

    /// No assertions in the CLI: `-Ounchecked` drops `precondition` and `-O` drops `assert`,
    /// together with anything they would have done (libgit2 was once initialised inside a
    /// `precondition`). A check that matters throws a CLIError the user can act on.
    @Test func theCLIHasNoAssertions() throws {
        let assertion = /\b(precondition|preconditionFailure|assert|assertionFailure)\s*\(/
        var found: [String] = []
        let files = FileManager.default.enumerator(atPath: Self.sources.path)?.compactMap { $0 as? String } ?? []
        for file in files where file.hasSuffix(".swift") {
            let text = try String(contentsOf: Self.sources.appendingPathComponent(file), encoding: .utf8)
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
                if code.contains(assertion) { found.append("\(file):\(index + 1): \(line.trimmingCharacters(in: .whitespaces))") }
            }
        }
        #expect(files.contains { $0.hasSuffix(".swift") }, "no sources found in \(Self.sources.path)")
        #expect(found.isEmpty, "assertions in KratosCLI:\n\(found.joined(separator: "\n"))")
    }

    /// The package declares macOS as well as Linux: every use of Glibc or Darwin, in any module,
    /// stands inside the `#if canImport(…)` of its platform (RunCommand once called
    /// `Glibc.signal` unguarded, which cannot build on macOS).
    @Test func platformCallsAreGuarded() throws {
        let root = Self.sources.deletingLastPathComponent()
        let files = FileManager.default.enumerator(atPath: root.path)?.compactMap { $0 as? String } ?? []
        var found: [String] = []
        for file in files where file.hasSuffix(".swift") && !file.contains("/Generated/") {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            var guards: [String] = []
            for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let code = (line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
                    .trimmingCharacters(in: .whitespaces)
                if code.hasPrefix("#if") {
                    guards.append(code)
                } else if code.hasPrefix("#elseif") || code.hasPrefix("#else") {
                    guards[guards.count - 1] = code
                } else if code.hasPrefix("#endif") {
                    guards.removeLast()
                }
                for platform in ["Glibc", "Darwin"] where code.contains("import \(platform)") || code.contains("\(platform).") {
                    if !guards.contains(where: { $0.contains("canImport(\(platform))") }) {
                        found.append("\(file):\(index + 1): \(code)")
                    }
                }
            }
        }
        #expect(found.isEmpty, "unguarded platform code:\n\(found.joined(separator: "\n"))")
    }
}
