import Foundation
import Kratos
import SwiftProtobuf

/// gRPC server reflection (`grpc.reflection.v1` and `v1alpha`) over a set of file descriptors,
/// so tools such as grpcurl or grpcio's reflection client can list services and fetch their
/// protos without having them.
///
/// The descriptors come from `protoc --include_imports --descriptor_set_out=api.desc …`:
///
/// ```swift
/// var configuration = KratosGRPCServer.Configuration(address: ":9000")
/// configuration.reflection = try ReflectionService.descriptorSet(contentsOf: "api.desc")
/// ```
public struct ReflectionService: Sendable {
    private let files: [String: Google_Protobuf_FileDescriptorProto]
    /// Fully qualified symbol (message, enum, service, method, extension) → the file declaring it.
    private let symbols: [String: String]
    /// Extended message → extension number → file.
    private let extensions: [String: [Int32: String]]
    private let services: [String]

    /// - Parameters:
    ///   - descriptors: every file the served protos need, dependencies included.
    ///   - services: the services to list; default every service in `descriptors`.
    public init(_ descriptors: Google_Protobuf_FileDescriptorSet, services: [String]? = nil) {
        var files: [String: Google_Protobuf_FileDescriptorProto] = [:]
        var symbols: [String: String] = [:]
        var extensions: [String: [Int32: String]] = [:]
        var declared: [String] = []
        for file in descriptors.file {
            files[file.name] = file
            let package = file.package.isEmpty ? "" : file.package + "."
            func add(_ messages: [Google_Protobuf_DescriptorProto], in scope: String) {
                for message in messages {
                    let name = scope + message.name
                    symbols[name] = file.name
                    for item in message.enumType { symbols["\(name).\(item.name)"] = file.name }
                    for item in message.extension { extensions[Self.trimmed(item.extendee), default: [:]][item.number] = file.name }
                    add(message.nestedType, in: name + ".")
                }
            }
            add(file.messageType, in: package)
            for item in file.enumType { symbols[package + item.name] = file.name }
            for item in file.extension {
                symbols[package + item.name] = file.name
                extensions[Self.trimmed(item.extendee), default: [:]][item.number] = file.name
            }
            for service in file.service {
                symbols[package + service.name] = file.name
                declared.append(package + service.name)
                for method in service.method { symbols["\(package)\(service.name).\(method.name)"] = file.name }
            }
        }
        self.files = files
        self.symbols = symbols
        self.extensions = extensions
        self.services = (services ?? declared).sorted()
    }

    /// Reads a descriptor set written by `protoc --descriptor_set_out`.
    public static func descriptorSet(contentsOf path: String) throws -> Google_Protobuf_FileDescriptorSet {
        try Google_Protobuf_FileDescriptorSet(serializedBytes: try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    /// The reflection service's methods (v1 and v1alpha, the same messages), as the engine
    /// serves them (outside the middleware).
    var methods: [String: GRPCMethod] {
        let method = GRPCMethod.requestStreaming(Grpc_Reflection_V1_ServerReflectionRequest.self,
                                                 Grpc_Reflection_V1_ServerReflectionResponse.self) { requests, writer, _ in
            for try await request in requests { try await writer.write(answer(request)) }
        }
        return ["/grpc.reflection.v1.ServerReflection/ServerReflectionInfo": method,
                "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo": method]
    }

    func answer(_ request: Grpc_Reflection_V1_ServerReflectionRequest) -> Grpc_Reflection_V1_ServerReflectionResponse {
        var reply = Grpc_Reflection_V1_ServerReflectionResponse()
        reply.validHost = request.host
        reply.originalRequest = request
        switch request.messageRequest {
        case .listServices?:
            reply.listServicesResponse = .with { list in list.service = services.map { name in .with { $0.name = name } } }
        case .fileByFilename(let name)?:
            reply.messageResponse = fileResponse(name, missing: "file \(name)")
        case .fileContainingSymbol(let symbol)?:
            reply.messageResponse = fileResponse(symbols[Self.trimmed(symbol)], missing: "symbol \(symbol)")
        case .fileContainingExtension(let request)?:
            let file = extensions[Self.trimmed(request.containingType)]?[request.extensionNumber]
            reply.messageResponse = fileResponse(file, missing: "extension \(request.extensionNumber) of \(request.containingType)")
        case .allExtensionNumbersOfType(let type)?:
            if let numbers = extensions[Self.trimmed(type)] {
                reply.allExtensionNumbersResponse = .with {
                    $0.baseTypeName = Self.trimmed(type)
                    $0.extensionNumber = numbers.keys.sorted()
                }
            } else if symbols[Self.trimmed(type)] != nil {
                reply.allExtensionNumbersResponse = .with { $0.baseTypeName = Self.trimmed(type) }
            } else {
                reply.messageResponse = notFound("type \(type)")
            }
        case nil:
            reply.errorResponse = .with {
                $0.errorCode = Int32(GRPCStatusCode.invalidArgument.rawValue)
                $0.errorMessage = "the request names nothing to look up"
            }
        }
        return reply
    }

    /// `name` and every file it depends on, dependencies first; NOT_FOUND when unknown.
    private func fileResponse(_ name: String?, missing: String) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        guard let name, files[name] != nil else { return notFound(missing) }
        var ordered: [String] = []
        var seen: Set<String> = []
        func visit(_ name: String) {
            guard seen.insert(name).inserted, let file = files[name] else { return }
            file.dependency.forEach(visit)
            ordered.append(name)
        }
        visit(name)
        // The requested file first, as clients expect, then its dependencies.
        let order = [name] + ordered.filter { $0 != name }
        return .fileDescriptorResponse(.with {
            $0.fileDescriptorProto = order.compactMap { try? files[$0]?.serializedBytes() }
        })
    }

    private func notFound(_ what: String) -> Grpc_Reflection_V1_ServerReflectionResponse.OneOf_MessageResponse {
        .errorResponse(.with {
            $0.errorCode = Int32(GRPCStatusCode.notFound.rawValue)
            $0.errorMessage = "\(what) is not known to this server"
        })
    }

    /// `.pkg.Msg` → `pkg.Msg`.
    private static func trimmed(_ name: String) -> String {
        name.hasPrefix(".") ? String(name.dropFirst()) : name
    }
}
