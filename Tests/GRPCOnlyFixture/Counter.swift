import Kratos
import KratosGRPC
import SwiftProtobuf
import Synchronization

/// fixture.v1.Counter: named counters kept in memory, served over gRPC alone. The target depends
/// on Kratos and KratosGRPC, not KratosHTTP: its generated code (`.pb.swift`, the shared
/// `.kratos.swift` and `.kratos-grpc.swift`) compiles without the HTTP transport.
public final class Counter: Fixture_V1_CounterService {
    private let counts = Mutex<[String: Int64]>([:])

    public init() {}

    public func add(_ request: Fixture_V1_AddRequest, context: RequestContext) async throws -> Fixture_V1_Count {
        guard !request.name.isEmpty else {
            throw KratosError(code: 400, reason: "NAME_MISSING", message: "a counter needs a name")
        }
        let value = counts.withLock { counts in
            let value = (counts[request.name] ?? 0) &+ request.by
            counts[request.name] = value
            return value
        }
        return .with {
            $0.name = request.name
            $0.value = value
        }
    }

    public func countUp(_ request: Fixture_V1_AddRequest, writer: MessageWriter<Fixture_V1_Count>, context: RequestContext) async throws {
        guard request.by <= 1000 else {
            throw KratosError(code: 400, reason: "TOO_MANY", message: "counts up to 1000 at most")
        }
        guard request.by > 0 else { return }
        for value in 1...request.by {
            try await writer.write(.with {
                $0.name = request.name
                $0.value = value
            })
        }
    }

    public func reset(_ request: Google_Protobuf_Empty, context: RequestContext) async throws -> Google_Protobuf_Empty {
        counts.withLock { $0.removeAll() }
        return Google_Protobuf_Empty()
    }

    /// A gRPC server with the counter registered, listening on `address` once run.
    public static func server(address: String) throws -> KratosGRPCServer {
        let server = KratosGRPCServer(.init(address: address))
        try Counter().register(on: server)
        return server
    }
}
