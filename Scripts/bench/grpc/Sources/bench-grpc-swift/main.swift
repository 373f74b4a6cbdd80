import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Hello

// helloworld.v1.Greeter on raw grpc-swift-2, the peer of bench-kratos-grpc: SayHello (unary),
// StreamHello (COUNT replies) and Echo (the blob back). In client mode, a GRPCClient calls SayHello
// from CONCURRENCY tasks on one connection for SECONDS and prints the calls per second.
// Usage: bench-grpc-swift PORT
//        bench-grpc-swift client HOST:PORT CONCURRENCY SECONDS
func method(_ name: String) -> MethodDescriptor {
    MethodDescriptor(fullyQualifiedService: "helloworld.v1.Greeter", method: name)
}

struct Greeter: RegistrableRPCService {
    func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
        router.registerHandler(
            forMethod: method("SayHello"),
            deserializer: ProtobufDeserializer<Helloworld_V1_HelloRequest>(),
            serializer: ProtobufSerializer<Helloworld_V1_HelloReply>()
        ) { request, _ in
            let message = try await ServerRequest(stream: request).message
            return StreamingServerResponse(single: ServerResponse(message: .with { $0.message = "Hello \(message.name)" }))
        }
        router.registerHandler(
            forMethod: method("StreamHello"),
            deserializer: ProtobufDeserializer<Helloworld_V1_HelloRequest>(),
            serializer: ProtobufSerializer<Helloworld_V1_HelloReply>()
        ) { request, _ in
            let message = try await ServerRequest(stream: request).message
            return StreamingServerResponse { writer in
                let reply = Helloworld_V1_HelloReply.with { $0.message = "Hello \(message.name)" }
                for _ in 0..<max(message.count, 0) { try await writer.write(reply) }
                return [:]
            }
        }
        router.registerHandler(
            forMethod: method("Echo"),
            deserializer: ProtobufDeserializer<Helloworld_V1_Blob>(),
            serializer: ProtobufSerializer<Helloworld_V1_Blob>()
        ) { request, _ in
            StreamingServerResponse(single: ServerResponse(message: try await ServerRequest(stream: request).message))
        }
    }
}

let arguments = CommandLine.arguments
if let client = clientArguments(arguments) {
    let request = ClientRequest(message: Helloworld_V1_HelloRequest.with { $0.name = "kratos" })
    let transport = try HTTP2ClientTransport.Posix(target: .ipv4(host: client.host, port: client.port), transportSecurity: .plaintext)
    let rate = try await withGRPCClient(transport: transport) { grpc in
        try await callsPerSecond(concurrency: client.concurrency, seconds: client.seconds) {
            let reply = try await grpc.unary(
                request: request, descriptor: method("SayHello"),
                serializer: ProtobufSerializer<Helloworld_V1_HelloRequest>(),
                deserializer: ProtobufDeserializer<Helloworld_V1_HelloReply>(),
                options: .defaults
            ) { try $0.message }
            guard reply.message == "Hello kratos" else { throw UnexpectedReply(reply.message) }
        }
    }
    print("\(Int(rate.rounded())) calls/s")
} else {
    let port = arguments.count > 1 ? Int(arguments[1]) ?? 9001 : 9001
    let server = GRPCServer(
        transport: .http2NIOPosix(address: .ipv4(host: "127.0.0.1", port: port), transportSecurity: .plaintext),
        services: [Greeter()]
    )
    try await server.serve()
}
