// swift-tools-version:6.0
import PackageDescription

/// Kratos for Swift: the `kratos` CLI, its code generators and the service runtime.
///
/// Targets are split where dependencies differ, so nobody compiles what they don't use:
/// - `Kratos`: the runtime core, no NIO.
/// - `KratosCLI`: every command as a library (libgit2, no runtime, no NIO); `kratos` is a thin main.
/// - `KratosTemplates`: the project templates under `Templates/`, embedded at build time.
let package = Package(
    name: "kratos-swift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kratos", targets: ["kratos"]),
        .library(name: "Kratos", targets: ["Kratos"]),
        .library(name: "KratosCLI", targets: ["KratosCLI"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
    ],
    targets: [
        // MARK: Runtime
        .target(name: "Kratos"),

        // MARK: CLI
        .systemLibrary(
            name: "CLibGit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        .executableTarget(name: "kratos-embed-templates"),
        .plugin(
            name: "EmbedTemplates",
            capability: .buildTool(),
            dependencies: ["kratos-embed-templates"]
        ),
        .target(name: "KratosTemplates", plugins: ["EmbedTemplates"]),
        .target(
            name: "KratosCLI",
            dependencies: [
                "CLibGit2",
                "KratosTemplates",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .executableTarget(name: "kratos", dependencies: ["KratosCLI"]),

        // MARK: Tests
        .testTarget(name: "KratosCLITests", dependencies: ["KratosCLI", "kratos"]),
    ]
)
