// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "kratos-layout",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "kratos-layout", targets: ["kratos-layout"]),
    ],
    targets: [
        .target(name: "KratosLayoutKit"),
        .executableTarget(name: "kratos-layout", dependencies: ["KratosLayoutKit"]),
        .testTarget(name: "KratosLayoutTests", dependencies: ["KratosLayoutKit"]),
    ]
)
