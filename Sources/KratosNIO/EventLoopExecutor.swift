import NIOCore

/// Runs Swift tasks on a NIO event loop, so an async handler started from a channel handler
/// resumes on the connection's own thread: no hop to the global pool and back for each request.
package final class EventLoopExecutor: TaskExecutor, @unchecked Sendable {
    package let eventLoop: any EventLoop

    package init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    package func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute {
            job.runSynchronously(on: self.asUnownedTaskExecutor())
        }
    }
}
