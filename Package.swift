// swift-tools-version:6.0
import PackageDescription

/// Kratos for Swift: the `kratos` CLI, its code generators and the service runtime.
///
/// Targets are split where dependencies differ, so nobody compiles what they don't use:
/// - `Kratos`: the runtime core, no NIO.
/// - `KratosHTTP` (SwiftNIO), `KratosHTTPClient` (AsyncHTTPClient), `KratosGRPC` (our own
///   engine on SwiftNIO, HTTP/2 and HPACK of its own):
///   transports, each a product of its own so a service compiles only the ones it uses.
/// - `KratosEtcd`: an etcd v3 client on the gRPC client, the etcd registry and config source, apart
///   so only services that use etcd compile it.
/// - `KratosJWT` (jwt-kit): JWT auth middleware for servers and clients, apart so services without
///   JWT compile no jwt-kit or swift-crypto.
/// - `KratosMCP` (modelcontextprotocol/swift-sdk): chosen RPCs as Model Context Protocol tools on
///   the HTTP server, apart so only services that use MCP compile the SDK.
/// - `KratosTLS` (swift-nio-ssl): TLS for the HTTP and gRPC servers and the gRPC client, apart so plain services skip BoringSSL.
/// - `KratosTesting`, `KratosGRPCTesting`: in-process and live test harnesses for users' services.
/// - `KratosCodeGen`: the protoc plugins' generators (no runtime, no NIO); the plugins are thin mains.
/// - `KratosCLI`: every command as a library (libgit2, no runtime, no NIO); `kratos` is a thin main.
/// - `KratosTemplates`: the project templates under `Templates/`, embedded at build time.
/// - `KratosVersion`: the version string, no dependencies; the runtime and the CLI both read it.
let package = Package(
    name: "kratos-swift",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kratos", targets: ["kratos"]),
        .library(name: "Kratos", targets: ["Kratos"]),
        .library(name: "KratosHTTP", targets: ["KratosHTTP"]),
        .library(name: "KratosTLS", targets: ["KratosTLS"]),
        .library(name: "KratosPrometheus", targets: ["KratosPrometheus"]),
        .library(name: "KratosOTel", targets: ["KratosOTel"]),
        .library(name: "KratosHTTPClient", targets: ["KratosHTTPClient"]),
        .library(name: "KratosGRPC", targets: ["KratosGRPC"]),
        .library(name: "KratosEtcd", targets: ["KratosEtcd"]),
        .library(name: "KratosJWT", targets: ["KratosJWT"]),
        .library(name: "KratosMCP", targets: ["KratosMCP"]),
        .library(name: "KratosTesting", targets: ["KratosTesting"]),
        .library(name: "KratosGRPCTesting", targets: ["KratosGRPCTesting"]),
        .library(name: "KratosCLI", targets: ["KratosCLI"]),
        .library(name: "KratosCodeGen", targets: ["KratosCodeGen"]),
        .executable(name: "protoc-gen-kratos-errors", targets: ["protoc-gen-kratos-errors"]),
        .executable(name: "protoc-gen-kratos-http", targets: ["protoc-gen-kratos-http"]),
        .executable(name: "protoc-gen-kratos-grpc", targets: ["protoc-gen-kratos-grpc"]),
        .executable(name: "protoc-gen-kratos-validate", targets: ["protoc-gen-kratos-validate"]),
        .executable(name: "protoc-gen-kratos-openapi", targets: ["protoc-gen-kratos-openapi"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.6.0"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.28.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.1.0"),
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.0.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.81.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.29.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.24.0"),
        .package(url: "https://github.com/swiftlang/swift-syntax.git", "600.0.0"..<"700.0.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.0.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk.git", from: "0.12.1"),
    ],
    targets: [
        // MARK: Runtime
        .target(name: "KratosVersion"),
        .target(
            name: "Kratos",
            dependencies: [
                "KratosVersion",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
            ]
        ),
        // What both NIO transports share (running handlers on the connection's event loop).
        .target(
            name: "KratosNIO",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .target(
            name: "KratosHTTP",
            dependencies: [
                "Kratos", "KratosNIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // WebSocket frames for client and bidirectional streams.
                .product(name: "NIOWebSocket", package: "swift-nio"),
                // The OpenAPI document as JSON (Kratos depends on it already, for YAML config).
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // TLS apart, so a service serving plain HTTP compiles no BoringSSL.
        .target(
            name: "KratosTLS",
            dependencies: [
                "KratosNIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Prometheus apart: a service on another metrics backend compiles no swift-prometheus.
        .target(
            name: "KratosPrometheus",
            dependencies: [
                "Kratos", "KratosHTTP",
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // OTLP export apart: only services that export spans compile swift-otel.
        .target(
            name: "KratosOTel",
            dependencies: [
                "Kratos",
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "KratosHTTPClient",
            dependencies: [
                "Kratos",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),

        // zlib, for gRPC's gzip message encoding.
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"]), .brew(["zlib"])]
        ),
        // gRPC, server and client, on our own engine: HTTP/2 and HPACK of our own.
        .target(
            name: "KratosGRPC",
            dependencies: [
                "Kratos", "KratosNIO", "CZlib",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Protos"]
        ),

        // etcd v3 (client, registry, config source) on the gRPC client; etcd's protos, generated.
        .target(
            name: "KratosEtcd",
            dependencies: [
                "KratosNIO",
                "Kratos", "KratosGRPC",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
            ],
            exclude: ["Protos"]
        ),

        // JWT auth (server and client middleware, JWKS) on jwt-kit, apart so services without JWT
        // compile no jwt-kit or swift-crypto; no NIO, no transport.
        .target(
            name: "KratosJWT",
            dependencies: [
                "Kratos",
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // MCP (go-kratos v2.9's MCP transport): chosen RPCs as tools over streamable HTTP on the
        // HTTP server, through the server's middleware; apart so only services using MCP compile the SDK.
        .target(
            name: "KratosMCP",
            dependencies: [
                "Kratos", "KratosHTTP",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),

        // MARK: Testing users' services (in-process and live)
        .target(
            name: "KratosTesting",
            dependencies: [
                "Kratos", "KratosHTTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),
        .target(
            name: "KratosGRPCTesting",
            dependencies: [
                "Kratos", "KratosGRPC",
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ]
        ),

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
            dependencies: ["kratos-embed-templates"],
            path: "Sources/EmbedTemplates"
        ),
        .target(name: "KratosTemplates", plugins: ["EmbedTemplates"]),
        .target(
            name: "KratosCLI",
            dependencies: [
                "KratosVersion",
                "CLibGit2",
                "KratosTemplates",
                "KratosCodeGen",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "SwiftParser", package: "swift-syntax"),
                .product(name: "SwiftSyntax", package: "swift-syntax"),
            ]
        ),
        .executableTarget(name: "kratos", dependencies: ["KratosCLI"]),

        // MARK: Code generation (no runtime, no NIO)
        .target(
            name: "KratosCodeGen",
            dependencies: ["KratosVersion", .product(name: "SwiftProtobufPluginLibrary", package: "swift-protobuf")]
        ),
        .executableTarget(name: "protoc-gen-kratos-errors", dependencies: ["KratosCodeGen"]),
        .executableTarget(name: "protoc-gen-kratos-http", dependencies: ["KratosCodeGen"]),
        .executableTarget(name: "protoc-gen-kratos-grpc", dependencies: ["KratosCodeGen"]),
        .executableTarget(name: "protoc-gen-kratos-validate", dependencies: ["KratosCodeGen"]),
        .executableTarget(name: "protoc-gen-kratos-openapi", dependencies: ["KratosCodeGen"]),

        // MARK: Tests
        .target(
            name: "KratosTestSupport",
            dependencies: ["Kratos", "KratosHTTP", "KratosHTTPClient", "KratosGRPC", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                           .product(name: "Logging", package: "swift-log")],
            path: "Tests/KratosTestSupport",
            exclude: ["Protos", "Python", "Generated/openapi.yaml"]
        ),
        // Generated code of a gRPC-only service: it must build from Kratos and KratosGRPC alone
        // (no KratosHTTP), which building this target checks.
        .target(
            name: "GRPCOnlyFixture",
            dependencies: ["Kratos", "KratosGRPC", .product(name: "SwiftProtobuf", package: "swift-protobuf")],
            path: "Tests/GRPCOnlyFixture",
            exclude: ["Protos"]
        ),
        .testTarget(name: "KratosTests", dependencies: ["Kratos", "KratosTestSupport"]),
        .testTarget(name: "KratosTestingTests", dependencies: ["KratosTesting", "KratosGRPCTesting", "KratosTestSupport", "GRPCOnlyFixture"]),
        .testTarget(name: "KratosHTTPTests", dependencies: ["KratosHTTP", "KratosTLS", "KratosHTTPClient", "KratosTestSupport"],
                    exclude: ["Python"]),
        .testTarget(
            name: "KratosGRPCTests",
            dependencies: ["KratosGRPC", "KratosHTTP", "KratosTLS", "KratosPrometheus", "KratosOTel", "KratosTestSupport",
                           .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                           .product(name: "Prometheus", package: "swift-prometheus"),
                           .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl"),
                           .product(name: "Logging", package: "swift-log")],
            exclude: ["Python"]
        ),
        // JWT over both transports, tokens from Python's pyjwt, JWKS from a file and a local server.
        .testTarget(
            name: "KratosJWTTests",
            dependencies: ["KratosJWT", "KratosHTTP", "KratosHTTPClient", "KratosGRPC", "KratosTestSupport",
                           .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio")],
            exclude: ["Python"]
        ),
        // MCP tools driven by the SDK's own client and by Python's `mcp` client over streamable HTTP.
        .testTarget(
            name: "KratosMCPTests",
            dependencies: ["KratosMCP", "KratosHTTP", "KratosTestSupport",
                           .product(name: "MCP", package: "swift-sdk"),
                           .product(name: "Logging", package: "swift-log")],
            exclude: ["Python"]
        ),
        // Against real etcd processes (Debian etcd-server and etcd-client) the tests start.
        .testTarget(
            name: "KratosEtcdTests",
            dependencies: ["KratosEtcd", "KratosTLS", "KratosTestSupport", .product(name: "Logging", package: "swift-log"),
                           .product(name: "NIOSSL", package: "swift-nio-ssl")]
        ),
        .testTarget(
            name: "KratosCLITests",
            dependencies: [
                "KratosCLI", "kratos", "KratosCodeGen",
                // The tools `kratos proto client` drives, built beside the tests.
                "protoc-gen-kratos-http", "protoc-gen-kratos-grpc", "protoc-gen-kratos-errors", "protoc-gen-kratos-validate",
                "protoc-gen-kratos-openapi",
                .product(name: "protoc-gen-swift", package: "swift-protobuf"),
            ]
        ),
        // The new-user path with real binaries and processes (Scripts/test points KRATOS_BIN at the
        // installed kratos).
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "kratos", "KratosTestSupport", "protoc-gen-kratos-http", "protoc-gen-kratos-grpc", "protoc-gen-kratos-errors",
                "protoc-gen-kratos-validate", "protoc-gen-kratos-openapi",
                .product(name: "protoc-gen-swift", package: "swift-protobuf"),
            ]
        ),
        .testTarget(
            name: "KratosCodeGenTests",
            dependencies: ["KratosCodeGen", "protoc-gen-kratos-errors", "protoc-gen-kratos-http", "protoc-gen-kratos-grpc", "protoc-gen-kratos-validate",
                           "protoc-gen-kratos-openapi",
                           "KratosTestSupport", "KratosHTTPClient"]
        ),
    ]
)
