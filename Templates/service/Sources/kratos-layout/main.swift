import Foundation
import Kratos
import KratosLayout
import KratosPrometheus
import Logging
import ServiceLifecycle
#if EXPORT_TRACES
import KratosOTel
#endif

// kratos-layout [-conf ./configs]: loads the configuration, sets up logging, metrics and tracing,
// runs until SIGTERM, SIGINT or SIGQUIT, then stops gracefully.
let (_, bootstrap) = try ConfigFlag.load(Bootstrap.self, default: "./configs")
let id = ServiceInfo.instanceID
let info = AppInfo(id: id, name: ServiceInfo.name, version: ServiceInfo.version)
let metrics = KratosPrometheus.bootstrap()
#if EXPORT_TRACES
// Traces go to an OTLP collector when OTEL_EXPORTER_OTLP_ENDPOINT (or trace.endpoint) says where;
// log lines inside a request carry its trace.id and span.id.
KratosLogging.bootstrap(bootstrap.log ?? .init(), app: info, extraProvider: KratosOTel.logMetadata)
let exporter = try KratosOTel.bootstrapTracing(serviceName: ServiceInfo.name, endpoint: bootstrap.trace?.endpoint)
#else
KratosLogging.bootstrap(bootstrap.log ?? .init(), app: info)
let exporter: (any Service)? = nil
#endif
let logger = Logger(label: ServiceInfo.name)
// Registration in etcd when the config has a `registry.etcd` block.
let registry = try await makeRegistry(bootstrap, logger: logger)
try await wireApp(bootstrap, id: id, logger: logger, metrics: metrics, services: exporter.map { [$0] } ?? [],
                  registrar: registry).run()
registry?.client.close()
