/// The messages a client streams to a handler, whatever the transport: an `AsyncSequence` read once.
///
/// ```swift
/// func record(_ points: MessageStream<Point>, context: RequestContext) async throws -> Summary {
///     var count = 0
///     for try await _ in points { count += 1 }
///     return Summary.with { $0.count = Int32(count) }
/// }
/// ```
public struct MessageStream<Element: Sendable>: AsyncSequence, Sendable {
    public typealias Failure = any Error

    private let makeNext: @Sendable () -> @Sendable () async throws -> Element?

    /// A stream over any async sequence of `Element`s.
    public init<Base: AsyncSequence & Sendable>(_ base: Base) where Base.Element == Element {
        makeNext = {
            let iterator = IteratorBox(base.makeAsyncIterator())
            return { try await iterator.next() }
        }
    }

    public struct AsyncIterator: AsyncIteratorProtocol {
        let advance: @Sendable () async throws -> Element?

        public mutating func next() async throws -> Element? {
            try await advance()
        }
    }

    public func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(advance: makeNext())
    }
}

/// An iterator kept in a reference so a `@Sendable` closure can advance it; only the one task
/// that reads the stream ever touches it.
private final class IteratorBox<Base: AsyncIteratorProtocol>: @unchecked Sendable {
    private var base: Base

    init(_ base: Base) {
        self.base = base
    }

    func next() async throws -> Base.Element? {
        try await base.next()
    }
}

/// Where a handler writes the messages it streams back, whatever the transport.
public struct MessageWriter<Element: Sendable>: Sendable {
    private let body: @Sendable (Element) async throws -> Void

    /// A writer that hands each message to `body`.
    public init(_ body: @escaping @Sendable (Element) async throws -> Void) {
        self.body = body
    }

    /// Sends one message; suspends while the transport applies back-pressure.
    public func write(_ message: Element) async throws {
        try await body(message)
    }

    /// Sends each message of `messages` in order.
    public func write(contentsOf messages: some Sequence<Element>) async throws {
        for message in messages { try await body(message) }
    }
}

/// What middleware sees as the request of a streaming RPC: the operation's single request
/// message when the client sends one, else nil (the messages themselves flow through the stream).
public struct StreamingRequest: Sendable {
    public let message: (any Sendable)?

    public init(message: (any Sendable)?) {
        self.message = message
    }
}

/// What a streaming handler returns through the middleware: the reply message when the RPC has
/// exactly one (client streaming), else nil.
public struct StreamingReply: Sendable {
    public let message: (any Sendable)?

    public init(message: (any Sendable)?) {
        self.message = message
    }
}
