import Foundation
import Kratos
import KratosGRPC
import KratosHTTP
import KratosPrometheus
import Logging
import ServiceLifecycle

/// The service's name and version, as the app reports them; set `version` at build time as you like.
public enum ServiceInfo {
    public static let name = "kratos-layout"
    public static let version = "v0.1.0"
    /// This process's instance id in a registry: the host name and process id, so instances on
    /// one machine do not take each other's place.
    public static let instanceID = "\(ProcessInfo.processInfo.hostName)-\(ProcessInfo.processInfo.processIdentifier)"
}

/// Wires the layers with plain constructors, in one place: data → biz → service → servers. Tests
/// drive these servers in-process (`http.test { … }`, `grpc.test { … }` from KratosTesting).
/// Request metrics go into `metrics`, which `GET /metrics` serves.
public func wireServers(_ bootstrap: Bootstrap, logger: Logger,
                        metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) throws -> (http: KratosHTTPServer, grpc: KratosGRPCServer) {
    let repository = GreeterRepo(bootstrap.data)
    let usecase = GreeterUsecase(repository, logger: logger)
    let greeter = Greeter(usecase: usecase)
    let http = try makeHTTPServer(bootstrap.server.http, greeter: greeter, logger: logger, metrics: metrics)
    let grpc = try makeGRPCServer(bootstrap.server.grpc, greeter: greeter, logger: logger, metrics: metrics)
    return (http, grpc)
}

/// The app: the wired servers and `services` (the trace exporter, when there is one), run until a
/// signal or `stop()`; the services start first and stop last, so spans still buffered are sent.
/// With a `registrar` (see `makeRegistry`) the app registers once its servers listen and
/// deregisters first when it stops.
public func wireApp(_ bootstrap: Bootstrap, id: String = ServiceInfo.instanceID, logger: Logger,
                    metrics: PrometheusCollectorRegistry = PrometheusCollectorRegistry(),
                    services: [any Service] = [], registrar: (any Registrar)? = nil) throws -> KratosApp {
    let (http, grpc) = try wireServers(bootstrap, logger: logger, metrics: metrics)
    return KratosApp(.init(id: id, name: ServiceInfo.name, version: ServiceInfo.version), servers: [http, grpc],
                     services: services, registrar: registrar, logger: logger)
}
