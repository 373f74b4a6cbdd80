import Foundation

/// The kratos-swift source checkout: where `kratos upgrade` builds and generated projects find
/// the runtime by local path.
enum SourceCheckout {
    /// What `kratos upgrade` builds and installs, in order.
    static let products = [
        "protoc", "protoc-gen-swift", "protoc-gen-kratos-http", "protoc-gen-kratos-grpc", "protoc-gen-kratos-errors",
        "protoc-gen-kratos-validate", "protoc-gen-kratos-openapi", "kratos",
    ]

    /// The checkout this binary was compiled from (recorded at build time), when it still exists.
    static func builtFrom() throws -> URL {
        // This file is <root>/Sources/KratosCLI/Support/SourceCheckout.swift.
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        try validate(root)
        return root
    }

    /// Fails unless `root` holds the kratos-swift package.
    static func validate(_ root: URL) throws {
        let manifest = root.appendingPathComponent("Package.swift")
        guard let text = try? String(contentsOf: manifest, encoding: .utf8), text.contains("name: \"kratos-swift\"") else {
            throw CLIError.failure("\(root.path) is not a kratos-swift checkout",
                                   fix: "clone kratos-swift and run `kratos upgrade --source PATH` (or its Scripts/install)")
        }
    }
}
