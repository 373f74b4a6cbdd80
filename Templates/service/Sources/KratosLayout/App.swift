import Foundation
import Kratos
import Logging

/// The service's name and version, as the app reports them; set `version` at build time as you like.
public enum ServiceInfo {
    public static let name = "kratos-layout"
    public static let version = "v0.1.0"
}

/// Wires the layers with plain constructors, in one place: data → biz → service → servers → app.
public func wireApp(_ bootstrap: Bootstrap, id: String = ProcessInfo.processInfo.hostName, logger: Logger) throws -> KratosApp {
    let repository = GreeterRepo(bootstrap.data)
    let usecase = GreeterUsecase(repository, logger: logger)
    let greeter = Greeter(usecase: usecase)
    let http = try makeHTTPServer(bootstrap.server.http, greeter: greeter, logger: logger)
    let grpc = try makeGRPCServer(bootstrap.server.grpc, greeter: greeter, logger: logger)
    return KratosApp(.init(id: id, name: ServiceInfo.name, version: ServiceInfo.version), servers: [http, grpc], logger: logger)
}
