import Kratos
import KratosHTTP
import KratosTestSupport
import Synchronization

/// greeter.proto's Greeter as the stream tests use it: Spell writes one reply per character; a
/// `!` fails the stream there; `forever` writes until cancelled, which `probe` sees. Gather
/// (client stream) answers `Hello` and the names joined by spaces; Chat (bidirectional) answers
/// `Hello <name>` for each name; in both a name `!` fails the stream there.
struct SSEGreeter: Kratos_Test_V1_GreeterService {
    let probe = StreamProbe()

    func sayHello(_ request: Kratos_Test_V1_HelloRequest, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        .with { $0.message = "Hello \(request.name)" }
    }

    func spell(_ request: Kratos_Test_V1_HelloRequest, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {
        if request.name == "forever" {
            try await probe.runForever(writer)
            return
        }
        for character in request.name {
            if character == "!" { throw KratosError.badRequest("UNSPELLABLE", "cannot spell !").with(metadata: ["at": "!"]) }
            try await writer.write(.with { $0.message = String(character) })
        }
    }

    func gather(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, context: RequestContext) async throws -> Kratos_Test_V1_HelloReply {
        var names: [String] = []
        for try await request in requests {
            if request.name == "!" { throw KratosError.badRequest("UNSPELLABLE", "cannot gather !").with(metadata: ["at": "\(names.count)"]) }
            names.append(request.name)
        }
        return .with { $0.message = (["Hello"] + names).joined(separator: " ") }
    }

    func chat(_ requests: MessageStream<Kratos_Test_V1_HelloRequest>, writer: MessageWriter<Kratos_Test_V1_HelloReply>, context: RequestContext) async throws {
        for try await request in requests {
            if request.name == "!" { throw KratosError.badRequest("UNSPELLABLE", "cannot greet !") }
            try await writer.write(.with { $0.message = "Hello \(request.name)" })
        }
    }
}

/// What a never-ending stream handler did: how many messages it wrote, and whether it saw its
/// cancellation. Tests wait on the events instead of sleeping.
final class StreamProbe: Sendable {
    enum Event: Sendable, Equatable {
        case started
        case cancelled
    }

    let written = Atomic(0)
    let events: AsyncStream<Event>
    private let continuation: AsyncStream<Event>.Continuation

    init() {
        (events, continuation) = AsyncStream.makeStream(of: Event.self)
    }

    /// How many replies were written once the count stops changing for half a second (or after
    /// 20 s), and whether it stopped: what a writer held back by a reader that reads nothing
    /// settles at.
    func settledCount() async throws -> (count: Int, stopped: Bool) {
        var last = -1
        var count = written.load(ordering: .relaxed)
        let start = ContinuousClock.now
        while count != last, ContinuousClock.now - start < .seconds(20) {
            last = count
            try await Task.sleep(for: .milliseconds(500))
            count = written.load(ordering: .relaxed)
        }
        return (count, count == last)
    }

    /// Writes numbered replies (of `size` bytes of padding) until the task is cancelled.
    func runForever(_ writer: MessageWriter<Kratos_Test_V1_HelloReply>, size: Int = 0, pause: Duration = .milliseconds(5)) async throws {
        continuation.yield(.started)
        let padding = String(repeating: "x", count: size)
        do {
            while true {
                let count = written.add(1, ordering: .relaxed).newValue
                try await writer.write(.with { $0.message = "tick \(count)\(padding)" })
                if pause > .zero { try await Task.sleep(for: pause) }
            }
        } catch {
            if Task.isCancelled { continuation.yield(.cancelled) }
            throw error
        }
    }

    /// Waits for `event`, failing after `timeout`.
    func wait(for event: Event, timeout: Duration = .seconds(10)) async throws {
        try await Deadline.run(within: timeout) { [events] in
            for await seen in events where seen == event { return }
        }
    }
}
