import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Hello

// helloworld.v1.Greeter/SayHello on raw grpc-swift-2: the peer of bench-kratos-grpc.
// Usage: bench-grpc-swift PORT
struct Greeter: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: MethodDescriptor(fullyQualifiedService: "helloworld.v1.Greeter", method: "SayHello"),
            deserializer: ProtobufDeserializer<Helloworld_V1_HelloRequest>(),
            serializer: ProtobufSerializer<Helloworld_V1_HelloReply>()
        ) { request, _ in
            let message = try await ServerRequest(stream: request).message
            return StreamingServerResponse(single: ServerResponse(message: .with { $0.message = "Hello \(message.name)" }))
        }
    }
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 9001 : 9001
let server = GRPCServer(
    transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext),
    services: [Greeter()]
)
try await server.serve()
