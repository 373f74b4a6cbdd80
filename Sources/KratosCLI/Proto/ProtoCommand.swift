import ArgumentParser

/// `kratos proto`: the proto workflow.
struct Proto: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Add protos, generate their code, and write service implementations.",
        discussion: """
            The usual round:
              kratos proto add api/helloworld/v1/demo.proto
              kratos proto client api
              kratos proto server api/helloworld/v1/demo.proto -t Sources/Helloworld/Service
            """,
        subcommands: [ProtoAdd.self, ProtoClient.self, ProtoServer.self]
    )
}
