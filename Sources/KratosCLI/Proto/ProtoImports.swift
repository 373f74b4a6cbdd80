import Foundation

/// What a proto imports, read from its `import` lines and followed through the include paths:
/// enough to tell whether it needs protoc-gen-kratos-validate, or HttpBody's message.
enum ProtoImports {
    /// The rules protoc-gen-kratos-validate reads.
    static let validateRules = "buf/validate/validate.proto"
    /// `google.api.HttpBody`, whose Swift message the generated routes use.
    static let httpBody = "google/api/httpbody.proto"

    /// Whether `file` (relative to one of `includes`) imports `target`, directly or through the
    /// files it imports that the include paths hold (protoc's own, such as google/protobuf, are
    /// not followed).
    static func reach(_ target: String, from file: String, includes: [URL]) -> Bool {
        var seen: Set<String> = [file]
        var pending = [file]
        while let next = pending.popLast() {
            guard let url = includes.map({ $0.appendingPathComponent(next) }).first(where: { FileManager.default.fileExists(atPath: $0.path) }),
                  let text = try? String(contentsOf: url, encoding: .utf8) else { continue }
            for imported in imports(in: text) {
                if imported == target { return true }
                if seen.insert(imported).inserted { pending.append(imported) }
            }
        }
        return false
    }

    /// The paths of the `import "…";` statements in `text` (`public` and `weak` ones too), line
    /// comments left out.
    static func imports(in text: String) -> [String] {
        text.split(whereSeparator: \.isNewline).compactMap { line in
            let code = line.split(separator: "//", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = code.split(whereSeparator: \.isWhitespace)
            guard words.first == "import", let quoted = code.split(separator: "\"", omittingEmptySubsequences: false).dropFirst().first else {
                return nil
            }
            return String(quoted)
        }
    }
}
