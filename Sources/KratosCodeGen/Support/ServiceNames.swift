import SwiftProtobufPluginLibrary

/// The Swift names generated code uses for a service and its methods, shared by every plugin so
/// the HTTP and gRPC files of one proto agree.
struct ServiceNames {
    let namer: SwiftProtobufNamer
    let service: ServiceDescriptor

    init(_ service: ServiceDescriptor, file: FileDescriptor) {
        self.service = service
        namer = SwiftProtobufNamer(currentFile: file, protoFileToModuleMappings: ProtoFileToModuleMappings())
    }

    /// `Helloworld_V1_Greeter`: the proto package prefix and the service name.
    var prefix: String { namer.typePrefix(forFile: service.file) + service.name }
    /// The enum of operation constants.
    var operations: String { prefix + "Operation" }
    /// The protocol one implementation satisfies for every transport.
    var serviceProtocol: String { prefix + "Service" }

    /// `sayHello` for `SayHello`.
    func member(_ method: MethodDescriptor) -> String {
        method.name.prefix(1).lowercased() + method.name.dropFirst()
    }

    /// `Helloworld_V1_GreeterOperation.sayHello`.
    func operation(_ method: MethodDescriptor) -> String {
        "\(operations).\(member(method))"
    }

    func input(_ method: MethodDescriptor) -> String { namer.fullName(message: method.inputType) }
    func output(_ method: MethodDescriptor) -> String { namer.fullName(message: method.outputType) }

    /// The protocol requirement for `method`, by its streaming kind.
    func requirement(_ method: MethodDescriptor) -> String {
        let name = member(method), input = input(method), output = output(method)
        switch (method.clientStreaming, method.serverStreaming) {
        case (false, false):
            return "func \(name)(_ request: \(input), context: RequestContext) async throws -> \(output)"
        case (false, true):
            return "func \(name)(_ request: \(input), writer: MessageWriter<\(output)>, context: RequestContext) async throws"
        case (true, false):
            return "func \(name)(_ requests: MessageStream<\(input)>, context: RequestContext) async throws -> \(output)"
        case (true, true):
            return "func \(name)(_ requests: MessageStream<\(input)>, writer: MessageWriter<\(output)>, context: RequestContext) async throws"
        }
    }
}
