import API
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Kratos
import KratosGRPC
import Logging
import Testing
@testable import KratosLayout

/// The whole service on loopback ports: the greeter over HTTP and over gRPC.
@Suite struct GreeterTests {
    static func bootstrap() -> Bootstrap {
        Bootstrap(
            server: .init(http: .init(addr: "127.0.0.1:0", timeout: .seconds(1)), grpc: .init(addr: "127.0.0.1:0", timeout: .seconds(1))),
            data: .init(database: .init(driver: "memory", source: "")),
            log: nil
        )
    }

    @Test func greetsOverHTTPAndGRPC() async throws {
        var logger = Logger(label: "test")
        logger.logLevel = .critical
        let app = try wireApp(Self.bootstrap(), id: "test", logger: logger)
        let running = Task { try await app.run() }
        defer { running.cancel() }
        let http = try await app.servers[0].bind(), grpc = try await app.servers[1].bind()

        let (body, response) = try await URLSession.shared.data(from: URL(string: http + "/helloworld/kratos")!)
        #expect((response as? HTTPURLResponse)?.statusCode == 200)
        #expect(String(decoding: body, as: UTF8.self) == #"{"message":"Hello kratos"}"#)

        let (reply, failure) = try await KratosGRPCClient.with(.init(endpoint: grpc)) { client in
            let greeter = Helloworld_V1_GreeterGRPCClient(client)
            let reply = try await greeter.sayHello(.with { $0.name = "grpc" })
            let failure: (any Error)?
            do {
                _ = try await greeter.sayHello(.init())
                failure = nil
            } catch {
                failure = error
            }
            return (reply, failure)
        }
        #expect(reply.message == "Hello grpc")
        // An empty name is the API's USER_NOT_FOUND error, over gRPC too.
        #expect(failure.map(Helloworld_V1_ErrorReason.isUserNotFound) == true)
        await app.stop()
        try await running.value
    }
}
