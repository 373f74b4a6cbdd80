// swift-tools-version:6.0
import PackageDescription

// Servers for Scripts/bench-grpc: unary helloworld.v1.Greeter/SayHello through the Kratos gRPC
// transport (middleware bridge included) and through raw grpc-swift-2, same messages, same
// NIO HTTP/2 transport.
let package = Package(
    name: "bench-grpc",
    platforms: [.macOS(.v15)],
    dependencies: [
        // `kratos-swift` is a link to the repository root, so the package identity is stable
        // whatever the clone is called.
        .package(path: "kratos-swift"),
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.28.0"),
        .package(url: "https://github.com/grpc/grpc-swift-2.git", from: "2.4.0"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport.git", from: "2.9.0"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf.git", from: "2.4.0"),
    ],
    targets: [
        .target(name: "Hello", dependencies: [.product(name: "SwiftProtobuf", package: "swift-protobuf")], exclude: ["hello.proto"]),
        .executableTarget(
            name: "bench-kratos-grpc",
            dependencies: [
                "Hello",
                .product(name: "Kratos", package: "kratos-swift"),
                .product(name: "KratosGRPC", package: "kratos-swift"),
                .product(name: "KratosPrometheus", package: "kratos-swift"),
            ]
        ),
        .executableTarget(
            name: "bench-grpc-swift",
            dependencies: [
                "Hello",
                .product(name: "GRPCCore", package: "grpc-swift-2"),
                .product(name: "GRPCNIOTransportHTTP2", package: "grpc-swift-nio-transport"),
                .product(name: "GRPCProtobuf", package: "grpc-swift-protobuf"),
            ]
        ),
    ]
)
