import Kratos
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

/// One call as a method's handler sees it: the request headers and deadline, the request
/// messages (streaming methods), and where replies and reply metadata go.
package final class ServerCall: Sendable {
    /// `/package.Service/Method`.
    package let path: String
    /// The request headers, pseudo-headers included; `-bin` values as sent (base64).
    package let headers: HeaderList
    /// When the call must end: the server's timeout or the client's `grpc-timeout`, the sooner.
    package let deadline: ContinuousClock.Instant?
    /// The request messages of a streaming request; empty for the other kinds.
    package let messages: IncomingMessages
    private let writer: @Sendable ([UInt8]) async throws -> Void
    /// Where reply headers and trailing metadata come from (the request context); none for
    /// services served without middleware.
    private let metadata = Mutex<ReplyMetadata?>(nil)

    /// A call's reply metadata, read when it is sent.
    package struct ReplyMetadata: Sendable {
        /// Sent before the first reply message, or with the trailers when there is none.
        let headers: @Sendable () -> [(name: String, value: String)]
        /// Sent in the trailers, after the status.
        let trailers: @Sendable () -> [(name: String, value: String)]

        package init(headers: @escaping @Sendable () -> [(name: String, value: String)],
                     trailers: @escaping @Sendable () -> [(name: String, value: String)]) {
            self.headers = headers
            self.trailers = trailers
        }
    }

    init(path: String, headers: HeaderList, deadline: ContinuousClock.Instant?, messages: IncomingMessages,
         writer: @escaping @Sendable ([UInt8]) async throws -> Void) {
        self.path = path
        self.headers = headers
        self.deadline = deadline
        self.messages = messages
        self.writer = writer
    }

    /// Sends one serialized reply message; suspends while the peer is not reading (flow control),
    /// throws once the call has ended (cancelled, reset, past its deadline).
    package func write(_ message: [UInt8]) async throws {
        try await writer(message)
    }

    /// Where the reply metadata comes from; read once headers, once trailers are sent.
    package func replyMetadata(from source: ReplyMetadata) {
        metadata.withLock { $0 = source }
    }

    func replyHeaders() -> [(name: String, value: String)] {
        metadata.withLock { $0 }?.headers() ?? []
    }

    func replyTrailers() -> [(name: String, value: String)] {
        metadata.withLock { $0 }?.trailers() ?? []
    }
}

/// Messages as they arrive on a stream (a streaming request's, or a call's replies); the peer's
/// flow-control window opens only as they are read, so a reader that stops stops the peer.
package struct IncomingMessages: AsyncSequence, Sendable {
    package typealias Element = ByteBuffer
    typealias Producer = NIOThrowingAsyncSequenceProducer<ByteBuffer, any Error,
        NIOAsyncSequenceProducerBackPressureStrategies.HighLowWatermark, IncomingMessagesDelegate>

    let producer: Producer?

    package struct AsyncIterator: AsyncIteratorProtocol {
        var base: Producer.AsyncIterator?

        package mutating func next() async throws -> ByteBuffer? {
            try await base?.next()
        }
    }

    package func makeAsyncIterator() -> AsyncIterator {
        AsyncIterator(base: producer?.makeAsyncIterator())
    }

    static let none = IncomingMessages(producer: nil)

    /// A sequence and its source; `demand` runs when the reader wants more after having asked
    /// to stop, or has gone.
    static func make(demand: @escaping @Sendable () -> Void) -> (IncomingMessages, Producer.Source) {
        let made = Producer.makeSequence(backPressureStrategy: .init(lowWatermark: 2, highWatermark: 8), finishOnDeinit: false,
                                         delegate: IncomingMessagesDelegate(onDemand: demand))
        return (IncomingMessages(producer: made.sequence), made.source)
    }
}

/// Tells the connection when a reader wants more (open the window again) or has gone.
struct IncomingMessagesDelegate: NIOAsyncSequenceProducerDelegate {
    let onDemand: @Sendable () -> Void

    func produceMore() { onDemand() }
    func didTerminate() { onDemand() }
}
