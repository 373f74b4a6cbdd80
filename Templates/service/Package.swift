// swift-tools-version:6.0
import PackageDescription

// A Kratos for Swift service: generated API code, the service (service → biz → data layers), and
// its executable. `kratos new` points the kratos-swift dependency at the runtime it was built with.
// OTLP export of the traces (to the collector OTEL_EXPORTER_OTLP_ENDPOINT or `trace.endpoint`
// names): set to true to turn it on. It is off because it costs swift-otel's build (with
// AsyncHTTPClient, grpc-swift and BoringSSL: about 150 s more of a cold build on 2 cores).
let exportTraces = false

let package = Package(
    name: "kratos-layout",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kratos-layout", targets: ["kratos-layout"]),
    ],
    dependencies: [
        .package(path: ".kratos-dev/kratos-swift"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.28.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.6.0"),
    ],
    targets: [
        // Code generated from api/ by `kratos proto client api --openapi` (committed; no protoc needed
        // to build), with the OpenAPI document built into the code (served at /q/openapi.yaml).
        .target(
            name: "API",
            dependencies: [
                .product(name: "Kratos", package: "kratos-swift"),
                .product(name: "KratosHTTP", package: "kratos-swift"),
                .product(name: "KratosGRPC", package: "kratos-swift"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            resources: [.embedInCode("openapi.yaml")]
        ),
        .target(
            name: "KratosLayout",
            dependencies: [
                "API",
                .product(name: "Kratos", package: "kratos-swift"),
                .product(name: "KratosHTTP", package: "kratos-swift"),
                .product(name: "KratosGRPC", package: "kratos-swift"),
                // Prometheus at GET /metrics.
                .product(name: "KratosPrometheus", package: "kratos-swift"),
                // Registration in etcd and discovery:/// clients, when configs name a registry.
                .product(name: "KratosEtcd", package: "kratos-swift"),
                .product(name: "Logging", package: "swift-log"),
            ] + (exportTraces ? [.product(name: "KratosOTel", package: "kratos-swift")] : []),
            swiftSettings: exportTraces ? [.define("EXPORT_TRACES")] : []
        ),
        // On Linux the toolchain's lld links in about half the time of the system's gold (Swift's
        // default there): the edit → serve loop is mostly this link.
        .executableTarget(
            name: "kratos-layout",
            dependencies: ["KratosLayout"],
            swiftSettings: exportTraces ? [.define("EXPORT_TRACES")] : [],
            linkerSettings: [.unsafeFlags(["-use-ld=lld"], .when(platforms: [.linux]))]
        ),
        .testTarget(
            name: "KratosLayoutTests",
            dependencies: [
                "KratosLayout", "API",
                .product(name: "KratosGRPC", package: "kratos-swift"),
                .product(name: "KratosTesting", package: "kratos-swift"),
                .product(name: "KratosGRPCTesting", package: "kratos-swift"),
            ],
            linkerSettings: [.unsafeFlags(["-use-ld=lld"], .when(platforms: [.linux]))]
        ),
    ]
)
