import NIOCore

/// Stream-level inbound flow control, the same on both sides: the window opens again once half
/// is used, unless the reader of a stream of messages asked to stop (a message in the middle of
/// arriving is always let through, or it could never complete).
struct InboundWindow {
    let target: Int
    /// What the peer may still send before we open the window.
    var remaining: Int
    /// The reader asked to stop.
    var paused = false

    init(target: Int) {
        self.target = target
        remaining = target
    }

    /// The increment to send now, if any; counts it as sent.
    mutating func increment(partialMessage: Bool) -> Int? {
        guard remaining <= target / 2, !paused || partialMessage else { return nil }
        defer { remaining = target }
        return target - remaining
    }
}

/// Runs `body` now when on `loop`, else as soon as the loop gets to it.
func onEventLoop(_ loop: any EventLoop, _ body: @escaping @Sendable () -> Void) {
    if loop.inEventLoop { body() } else { loop.execute(body) }
}
