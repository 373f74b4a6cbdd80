import Foundation
import Testing

/// Rules about KratosCLI's source that no behaviour of a debug build can show.
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
}
