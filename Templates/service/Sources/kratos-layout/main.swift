import Foundation
import Kratos
import KratosLayout
import Logging

// kratos-layout [-conf ./configs]: loads the configuration, sets up logging, runs until SIGTERM,
// SIGINT or SIGQUIT, then stops gracefully.
let (_, bootstrap) = try ConfigFlag.load(Bootstrap.self, default: "./configs")
let id = ProcessInfo.processInfo.hostName
let info = AppInfo(id: id, name: ServiceInfo.name, version: ServiceInfo.version)
KratosLogging.bootstrap(bootstrap.log ?? .init(), app: info)
let logger = Logger(label: ServiceInfo.name)
try await wireApp(bootstrap, id: id, logger: logger).run()
