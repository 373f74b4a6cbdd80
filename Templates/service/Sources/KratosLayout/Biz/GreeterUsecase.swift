import API
import Kratos
import Logging

/// What the business logic needs from the data layer.
public protocol GreeterRepository: Sendable {
    /// Records a greeting of `name`; returns how many times it has been greeted.
    func save(_ name: String) async throws -> Int
}

/// The business logic: who may be greeted, and how.
public struct GreeterUsecase: Sendable {
    let repository: any GreeterRepository
    let logger: Logger

    public init(_ repository: any GreeterRepository, logger: Logger) {
        self.repository = repository
        self.logger = logger
    }

    /// The greeting for `name`; an empty name is an unknown user.
    public func greet(_ name: String) async throws -> String {
        guard !name.isEmpty else {
            throw Helloworld_V1_ErrorReason.errorUserNotFound("user name is empty")
        }
        let count = try await repository.save(name)
        logger.debug("greeted", metadata: ["name": "\(name)", "count": "\(count)"])
        return "Hello \(name)"
    }
}
