import Logging

extension Logger {
    /// Logs a record whose fields are given in key order, one per key, as the request-logging
    /// middleware does for every request. On Kratos's own handler (``KratosLogging/handler(_:app:output:extraProvider:)``)
    /// the fields are merged into the handler's (kept sorted) without swift-log's metadata
    /// dictionary; on any other handler this is `log(level:_:metadata:)`.
    func log(_ level: Logger.Level, _ message: String, sorted fields: [(key: String, value: String)],
             file: String = #fileID, function: String = #function, line: UInt = #line) {
        guard level >= logLevel else { return }
        // Kratos's handler is found by comparing types and read in place: a cast (`as?`) copies
        // the whole handler, a dozen references retained and released, on every request, and so
        // would `withExactly` (it boxes the handler as `any Sendable`, and its bit cast copies).
        // A pointer read costs more than that bit cast only in generic code that is not
        // specialised, which this is not: the type read is concrete.
        func sortedPath<Handler: LogHandler>(_ handler: Handler) -> Bool {
            guard Handler.self == FilteringLogHandler.self else { return false }
            return withUnsafePointer(to: handler) { same in
                same.withMemoryRebound(to: FilteringLogHandler.self, capacity: 1) {
                    $0.pointee.log(level, message, sorted: fields, file: file, line: line)
                }
            }
        }
        if sortedPath(handler) { return }
        var metadata: Logger.Metadata = [:]
        metadata.reserveCapacity(fields.count)
        for (key, value) in fields { metadata[key] = .string(value) }
        log(level: level, "\(message)", metadata: metadata, file: file, function: function, line: line)
    }
}

extension FilteringLogHandler {
    /// Writes a record with fields in key order through the wrapped ``KratosLogHandler``;
    /// false when this handler cannot take that path (another handler is wrapped, a metadata
    /// provider adds fields per record, or a metadata value is not a plain string).
    func log(_ level: Logger.Level, _ message: String, sorted fields: [(key: String, value: String)], file: String, line: UInt) -> Bool {
        // `kratos` is read through, not bound: binding would copy the handler.
        guard kratos?.metadataProvider == nil, kratos?.metadata.isEmpty == true, metadataProvider == nil,
              let base else { return false }
        guard level >= logLevel else { return true }
        var fields = fields
        if !maskedKeys.isEmpty || !maskedValues.isEmpty {
            for index in fields.indices where masks(fields[index].key, fields[index].value) {
                fields[index].value = Self.mask
            }
        }
        // The record's fields are merged into the handler's (masked already) as the line is written.
        kratos?.write(level: level, message: message, file: file, line: line, sorted: fields, base: base)
        return true
    }
}
