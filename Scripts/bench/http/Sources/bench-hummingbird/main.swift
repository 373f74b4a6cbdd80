import Hummingbird

// GET /helloworld/:name → {"message":"Hello NAME"} on raw Hummingbird.
// Usage: bench-hummingbird PORT
struct HelloReply: ResponseEncodable {
    let message: String
}

let port = CommandLine.arguments.count > 1 ? Int(CommandLine.arguments[1]) ?? 8001 : 8001
let router = Router()
router.get("/helloworld/:name") { _, context in
    HelloReply(message: "Hello \(context.parameters.get("name") ?? "")")
}
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
