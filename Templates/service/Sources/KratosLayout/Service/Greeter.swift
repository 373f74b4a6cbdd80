import API
import Kratos

/// Implements helloworld.v1.Greeter for every transport.
struct Greeter: Helloworld_V1_GreeterService {
    let usecase: GreeterUsecase

    func sayHello(_ request: Helloworld_V1_HelloRequest, context: RequestContext) async throws -> Helloworld_V1_HelloReply {
        let message = try await usecase.greet(request.name)
        return .with { $0.message = message }
    }
}
