// swift-tools-version:6.0
import PackageDescription

// Servers for Scripts/bench-http (and Scripts/bench-ratelimit): the same hello route on the Kratos HTTP transport and on raw
// Hummingbird. A package of its own, so the main package never depends on Hummingbird.
let package = Package(
    name: "bench-http",
    platforms: [.macOS(.v15)],
    dependencies: [
        // `kratos-swift` is a link to the repository root, so the package identity is stable
        // whatever the clone is called.
        .package(path: "kratos-swift"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.5.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.28.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
    ],
    targets: [
        .executableTarget(
            name: "bench-kratos",
            dependencies: [
                .product(name: "Kratos", package: "kratos-swift"),
                .product(name: "KratosHTTP", package: "kratos-swift"),
                .product(name: "KratosPrometheus", package: "kratos-swift"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            exclude: ["hello.proto"]
        ),
        // Scripts/bench-ratelimit's server: a CPU-bound route with and without BBR.
        .executableTarget(
            name: "bench-ratelimit",
            dependencies: [
                .product(name: "Kratos", package: "kratos-swift"),
                .product(name: "KratosHTTP", package: "kratos-swift"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "bench-nio",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "bench-hummingbird",
            dependencies: [.product(name: "Hummingbird", package: "hummingbird")]
        ),
    ]
)
