import Logging
import Synchronization

/// Keeps every record logged through ``logger``, at every level, for tests to read back.
public final class LogCapture: Sendable {
    public struct Record: Sendable {
        public let level: Logger.Level
        public let message: String
        /// The handler's metadata with the call's over it.
        public let metadata: Logger.Metadata
    }

    private let storage = Mutex<[Record]>([])

    public init() {}

    public var records: [Record] { storage.withLock { $0 } }

    /// Each record as `message metadata`, to search for text that must (not) appear.
    public var lines: [String] { records.map { "\($0.message) \($0.metadata)" } }

    public var logger: Logger { Logger(label: "test.capture") { _ in Handler(capture: self) } }

    struct Handler: LogHandler {
        let capture: LogCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            let record = Record(level: event.level, message: "\(event.message)",
                                metadata: metadata.merging(event.metadata ?? [:]) { $1 })
            capture.storage.withLock { $0.append(record) }
        }
    }
}
