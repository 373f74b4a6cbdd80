import Foundation
import Kratos
import KratosGRPC
import KratosHTTP
import Logging

/// The service's name and version, as the app reports them; set `version` at build time as you like.
public enum ServiceInfo {
    public static let name = "kratos-layout"
    public static let version = "v0.1.0"
}

/// Wires the layers with plain constructors, in one place: data → biz → service → servers. Tests
/// drive these servers in-process (`http.test { … }`, `grpc.test { … }` from KratosTesting).
public func wireServers(_ bootstrap: Bootstrap, logger: Logger) throws -> (http: KratosHTTPServer, grpc: KratosGRPCServer) {
    let repository = GreeterRepo(bootstrap.data)
    let usecase = GreeterUsecase(repository, logger: logger)
    let greeter = Greeter(usecase: usecase)
    let http = try makeHTTPServer(bootstrap.server.http, greeter: greeter, logger: logger)
    let grpc = try makeGRPCServer(bootstrap.server.grpc, greeter: greeter, logger: logger)
    return (http, grpc)
}

/// The app: the wired servers, run until a signal or `stop()`.
public func wireApp(_ bootstrap: Bootstrap, id: String = ProcessInfo.processInfo.hostName, logger: Logger) throws -> KratosApp {
    let (http, grpc) = try wireServers(bootstrap, logger: logger)
    return KratosApp(.init(id: id, name: ServiceInfo.name, version: ServiceInfo.version), servers: [http, grpc], logger: logger)
}
