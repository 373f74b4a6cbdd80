import SwiftProtobufPluginLibrary

/// The service implementations `kratos proto server` writes: one type per service, named after
/// the proto service, conforming to the service protocol of `<proto>.kratos.swift`, with a
/// stub per RPC that compiles and answers 501 until it is written.
public enum ServerStubs {
    /// One method's stub, as it appears inside the type (indented one level).
    public struct Method: Equatable, Sendable {
        /// The Swift name, e.g. `sayHello`.
        public let name: String
        public let source: String

        public init(name: String, source: String) {
            self.name = name
            self.source = source
        }
    }

    /// One service's implementation.
    public struct Service: Equatable, Sendable {
        /// The Swift type and file name, e.g. `Greeter`.
        public let typeName: String
        /// The protocol it conforms to, e.g. `Helloworld_V1_GreeterService`.
        public let protocolName: String
        public let fullName: String
        public let methods: [Method]

        public init(typeName: String, protocolName: String, fullName: String, methods: [Method]) {
            self.typeName = typeName
            self.protocolName = protocolName
            self.fullName = fullName
            self.methods = methods
        }

        /// A whole new file for the service.
        public func file(imports: [String]) -> String {
            var out = SwiftWriter()
            // Well-known types are named SwiftProtobuf.Google_Protobuf_….
            let protobuf = methods.contains { $0.source.contains("SwiftProtobuf.") } ? ["SwiftProtobuf"] : []
            for module in Set(imports + ["Kratos"] + protobuf).sorted() { out.line("import \(module)") }
            out.line()
            out.line("/// Implements \(fullName) for every transport.")
            out.block("struct \(typeName): \(protocolName) {") { out in
                for (index, method) in methods.enumerated() {
                    if index > 0 { out.line() }
                    out.raw(method.source)
                }
            }
            return out.text
        }
    }

    /// The services of `file`.
    public static func services(in file: FileDescriptor) -> [Service] {
        file.services.map { service in
            let names = ServiceNames(service, file: file)
            let methods = service.methods.map { method in
                var out = SwiftWriter()
                out.indented { out in
                    out.block(names.requirement(method) + " {") { out in
                        out.line("throw KratosError(code: 501, reason: \"NOT_IMPLEMENTED\", message: \(swiftLiteral("\(service.name).\(method.name) is not implemented yet")))")
                    }
                }
                return Method(name: names.member(method), source: out.text)
            }
            return Service(typeName: service.name, protocolName: names.serviceProtocol, fullName: service.fullName, methods: methods)
        }
    }
}
