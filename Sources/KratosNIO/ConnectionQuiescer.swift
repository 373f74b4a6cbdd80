import NIOCore
import Synchronization

/// The connections a listener accepted, for a graceful stop: ``initiateShutdown(promise:)``
/// closes the listener, sends each open connection a `ChannelShouldQuiesceEvent` (its handler
/// finishes what is in flight, then closes), and completes once every one has closed.
package final class ConnectionQuiescer: Sendable {
    private struct State {
        var listener: (any Channel)?
        var open: [ObjectIdentifier: any Channel] = [:]
        /// Completed once the stop is over; set when it starts.
        var stopped: EventLoopPromise<Void>?
        var done = false
    }

    private let state = Mutex(State())

    package init() {}

    /// The handler to add first to the listening channel: it records each accepted connection.
    package func makeServerChannelHandler(channel: any Channel) -> some ChannelHandler {
        state.withLock { $0.listener = channel }
        return AcceptedConnections(quiescer: self)
    }

    /// Starts the stop once (a second call completes when the first's stop does); `promise`
    /// succeeds once every connection has closed.
    package func initiateShutdown(promise: EventLoopPromise<Void>) {
        enum Step {
            case start(listener: (any Channel)?, open: [any Channel], stopped: EventLoopPromise<Void>)
            case follow(EventLoopFuture<Void>)
            case done
        }
        let step = state.withLock { state -> Step in
            if state.done { return .done }
            if let stopped = state.stopped { return .follow(stopped.futureResult) }
            state.stopped = promise
            return .start(listener: state.listener, open: Array(state.open.values), stopped: promise)
        }
        switch step {
        case .done:
            promise.succeed()
        case .follow(let future):
            future.cascade(to: promise)
        case .start(let listener, let open, let stopped):
            if let listener { listener.close().cascadeFailure(to: stopped) }
            for channel in open { Self.quiesce(channel) }
            if open.isEmpty { finish() }
        }
    }

    /// A connection accepted: known until it closes; told to quiesce at once during a stop;
    /// closed after one. False when it was closed.
    fileprivate func accepted(_ channel: any Channel) -> Bool {
        let (known, stopping) = state.withLock { state -> (Bool, Bool) in
            guard !state.done else { return (false, false) }
            state.open[ObjectIdentifier(channel)] = channel
            return (true, state.stopped != nil)
        }
        guard known else {
            channel.close(promise: nil)
            return false
        }
        channel.closeFuture.whenComplete { _ in self.closed(channel) }
        if stopping { Self.quiesce(channel) }
        return true
    }

    private func closed(_ channel: any Channel) {
        let last = state.withLock { state in
            state.open.removeValue(forKey: ObjectIdentifier(channel)) != nil && state.open.isEmpty && state.stopped != nil
        }
        if last { finish() }
    }

    private func finish() {
        let stopped = state.withLock { state -> EventLoopPromise<Void>? in
            guard !state.done else { return nil }
            state.done = true
            return state.stopped
        }
        stopped?.succeed()
    }

    private static func quiesce(_ channel: any Channel) {
        channel.eventLoop.execute {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
    }
}

/// On the listening channel: each accepted connection goes to the quiescer, then on to the
/// bootstrap's handler, unless a finished stop closed it.
private final class AcceptedConnections: ChannelInboundHandler {
    typealias InboundIn = any Channel

    let quiescer: ConnectionQuiescer

    init(quiescer: ConnectionQuiescer) {
        self.quiescer = quiescer
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard quiescer.accepted(unwrapInboundIn(data)) else { return }
        context.fireChannelRead(data)
    }
}
