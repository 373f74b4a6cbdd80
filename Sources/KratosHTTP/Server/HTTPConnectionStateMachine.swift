import Kratos
import NIOCore
import NIOHTTP1

/// The decisions of one HTTP/1.1 connection, without I/O: the request being received, the
/// requests waiting their turn, the one being answered, when to read, and when the connection
/// is done. ``HTTPChannelHandler`` feeds it what happens and carries out what it answers, as
/// NIO's own handlers do with their state machines; it is unit-tested without a socket.
///
/// Requests are answered one at a time, in the order they arrived. A refused request (413, 408,
/// malformed) is answered in its turn and ends the connection: the rest of its bytes are never
/// read.
struct HTTPConnectionStateMachine {
    /// A request fully received (or refused) and waiting for its turn.
    enum Pending {
        case request(HTTPRequestHead, ByteBuffer?)
        /// An answer without a handler; the connection closes after it.
        case refusal(KratosError, HTTPRequestHead?)
    }

    /// What to do after a part of a request arrived.
    enum ReceiveAction: Equatable {
        case nothing
        /// Tell the client to send the body (`Expect: 100-continue`).
        case sendContinue
        /// A request (or a refusal) is complete: stop its read timer and serve what waits.
        case serveQueued
    }

    /// What to do next when nothing else is running.
    enum Next {
        /// Start the handler for this request; ``finished(id:)`` ends it.
        case start(id: UInt64, head: HTTPRequestHead, body: ByteBuffer?)
        /// Answer the refusal, then close: nothing after it is answered.
        case refuse(KratosError, HTTPRequestHead)
        /// Nothing waits: resume the read held back.
        case read
        /// Nothing to do.
        case wait
    }

    /// The largest body of any request.
    let maxBodySize: Int
    /// A larger limit some routes allow (those taking `google.api.HttpBody`), asked only for a
    /// request whose body grows past `maxBodySize`.
    private let largerLimit: (HTTPRequestHead) -> Int
    /// The limit of the request being received, once asked.
    private var limit: Int?

    /// The head of the request being received, until its end arrives.
    private(set) var receiving: HTTPRequestHead?
    private var body: ByteBuffer?
    /// The body's announced length (within the limit), to collect it in one buffer.
    private var expected = 0
    /// The byte stream is unusable (a malformed or refused request, or a closing reply): nothing
    /// more is read or answered.
    private(set) var broken = false
    private var queue = CircularBuffer<Pending>(initialCapacity: 2)
    /// The request being answered.
    private(set) var answering: (id: UInt64, head: HTTPRequestHead)?
    private var nextID: UInt64 = 0
    /// A read held back while requests wait, as NIO's pipelining handler does.
    private var readPending = false
    /// The server is stopping: close once what was received is answered.
    private(set) var quiescing = false

    init(maxBodySize: Int, largerLimit: @escaping (HTTPRequestHead) -> Int = { _ in 0 }) {
        self.maxBodySize = maxBodySize
        self.largerLimit = largerLimit
    }

    /// The body limit of the request with `head`: `maxBodySize`, or its route's larger one.
    private mutating func bodyLimit(_ head: HTTPRequestHead) -> Int {
        if let limit { return limit }
        let found = max(maxBodySize, largerLimit(head))
        limit = found
        return found
    }

    /// Something is received, waiting or being answered.
    var isBusy: Bool { receiving != nil || answering != nil || !queue.isEmpty }

    // MARK: Receiving

    mutating func receivedHead(_ head: HTTPRequestHead) -> ReceiveAction {
        guard !broken else { return .nothing }
        receiving = head
        body = nil
        limit = nil
        let length = head.headers.first(name: "content-length").flatMap(Int.init)
        if let length, length > maxBodySize, length > bodyLimit(head) {
            return refuse(tooLarge(bodyLimit(head)), head)
        }
        // Within the limit by now (past `maxBodySize` only where the route allows it).
        expected = length ?? 0
        if head.version.major == 1, head.version.minor >= 1, answering == nil, queue.isEmpty,
           head.headers.first(name: "expect")?.lowercased() == "100-continue" {
            return .sendContinue
        }
        return .nothing
    }

    mutating func receivedBody(_ chunk: ByteBuffer) -> ReceiveAction {
        guard !broken, let head = receiving else { return .nothing }
        var chunk = chunk
        if body == nil {
            body = chunk
            // A large body announced by its length is collected without growing the buffer.
            if expected > chunk.readableBytes { body?.reserveCapacity(expected) }
        } else {
            body?.writeBuffer(&chunk)
        }
        let received = body?.readableBytes ?? 0
        return received > maxBodySize && received > bodyLimit(head) ? refuse(tooLarge(bodyLimit(head)), head) : .nothing
    }

    mutating func receivedEnd() -> ReceiveAction {
        guard !broken, let head = receiving else { return .nothing }
        queue.append(.request(head, body))
        receiving = nil
        body = nil
        return .serveQueued
    }

    /// The decoder found the bytes are not HTTP.
    mutating func malformed(_ error: any Error) -> ReceiveAction {
        guard !broken else { return .nothing }
        return refuse(.badRequest("BAD_REQUEST", "malformed HTTP request: \(error)"), receiving)
    }

    /// The request being received took longer than the read timeout.
    mutating func readTimedOut(after timeout: TimeAmount) -> ReceiveAction {
        guard !broken, let head = receiving else { return .nothing }
        return refuse(.init(code: 408, reason: "REQUEST_TIMEOUT",
                            message: "the request was not received within \(timeout.nanoseconds / 1_000_000) ms"), head)
    }

    private func tooLarge(_ limit: Int) -> KratosError {
        KratosError(code: 413, reason: "PAYLOAD_TOO_LARGE", message: "request body larger than \(limit) bytes")
    }

    private mutating func refuse(_ error: KratosError, _ head: HTTPRequestHead?) -> ReceiveAction {
        broken = true
        receiving = nil
        body = nil
        queue.append(.refusal(error, head))
        return .serveQueued
    }

    // MARK: Answering

    /// The next step once the request before has been answered (or none runs).
    mutating func next() -> Next {
        guard answering == nil else { return .wait }
        if let pending = queue.popFirst() {
            switch pending {
            case .request(let head, let body):
                nextID &+= 1
                answering = (nextID, head)
                return .start(id: nextID, head: head, body: body)
            case .refusal(let error, let head):
                queue.removeAll()
                return .refuse(error, head ?? HTTPRequestHead(version: .http1_1, method: .GET, uri: "/"))
            }
        }
        if readPending {
            readPending = false
            return .read
        }
        return .wait
    }

    /// The request `id` has its reply (or timed out): its head, if it is still the one answered.
    mutating func finished(id: UInt64) -> HTTPRequestHead? {
        guard let current = answering, current.id == id else { return nil }
        answering = nil
        return current.head
    }

    /// Whether the reply about to be written is the connection's last.
    func isLastReply(keepAlive: Bool, replyAsksToClose: Bool) -> Bool {
        !keepAlive || replyAsksToClose || (quiescing && queue.isEmpty && receiving == nil)
    }

    /// The last reply is being written: nothing after it is answered.
    mutating func closing() {
        broken = true
        queue.removeAll()
    }

    /// The channel asks to read: whether to read now (false holds it back until what waits is answered).
    mutating func readRequested() -> Bool {
        if queue.isEmpty { return true }
        readPending = true
        return false
    }

    /// The server is stopping: whether to close now (nothing is received, waiting or answered).
    mutating func quiesce() -> Bool {
        quiescing = true
        return !isBusy
    }

    /// The connection is gone: nothing is received, waiting or answered any more.
    mutating func closed() {
        broken = true
        queue.removeAll()
        receiving = nil
        body = nil
        answering = nil
    }
}
