import Foundation
import Logging

/// A swift-log handler writing go-kratos's key-value records, as logfmt
/// (`level=INFO ts=2026-11-25T10:00:00.123Z caller=Greeter.swift:12 msg="hello" service.name=greeter`)
/// or as JSON lines (`{"level":"INFO","ts":"…","caller":"…","msg":"hello","service.name":"greeter"}`).
///
/// Metadata providers (the valuers: service identity, trace ids, anything computed per call) are
/// evaluated on every record.
public struct KratosLogHandler: LogHandler {
    public enum Format: String, Sendable, Decodable {
        case logfmt
        case json
    }

    public var format: Format
    public var output: LogOutput
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    public init(format: Format = .logfmt, output: LogOutput = .standardError, level: Logger.Level = .info,
                metadataProvider: Logger.MetadataProvider? = nil) {
        self.format = format
        self.output = output
        logLevel = level
        self.metadataProvider = metadataProvider
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = LogFields(metadata)
        if let provided = metadataProvider?.get() { fields.add(provided) }
        if let explicit = event.metadata { fields.add(explicit) }
        write(event, fields)
    }

    /// Writes `event` with `given` (already merged by a ``FilteringLogHandler``) over this
    /// handler's own metadata.
    func log(event: LogEvent, fields given: consuming LogFields) {
        if metadata.isEmpty { return write(event, given) }
        var fields = LogFields(metadata)
        fields.add(given)
        write(event, fields)
    }

    private func write(_ event: LogEvent, _ fields: consuming LogFields) {
        if let error = event.error { fields.add("error", .string("\(error)")) }
        write(level: event.level, message: event.message.description, file: event.file, line: event.line,
              sorted: fields.sorted().map { ($0.key, Self.text($0.value)) })
    }

    /// Writes a record whose fields are in key order, one per key, merged into `base` (also in
    /// key order, written by ``LogLine/field(_:_:format:)`` in this handler's format), whose field
    /// of the same key they replace.
    func write(level: Logger.Level, message: String, file: String, line: UInt, sorted fields: [(key: String, value: String)],
               base: [(key: String, text: [UInt8])] = []) {
        let record = LogLine(format: format, level: level, timestamp: .now(), file: file, line: line, message: message,
                             fields: fields, base: base)
        let (write, urgent) = (output.writeLine, level >= .error)
        record.withRenderedBytes { write($0, urgent) }
    }

    /// go-kratos's level names.
    public static func name(of level: Logger.Level) -> String {
        LogLine.name(of: level).description
    }

    static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(text).joined(separator: ",") + "]"
        case .dictionary(let map): "{" + map.sorted { $0.key < $1.key }.map { "\($0.key):\(text($0.value))" }.joined(separator: ",") + "}"
        }
    }
}

/// Wraps a handler: drops records below `minimumLevel` and masks the values of `maskedKeys`, and
/// any value in `maskedValues`, as `***` (go-kratos's `log.NewFilter`).
public struct FilteringLogHandler: LogHandler {
    public var wrapped: any LogHandler {
        didSet {
            kratos = wrapped as? KratosLogHandler
            prepareBase()
        }
    }
    /// `wrapped` when it is Kratos's own handler, which takes the merged fields as they are.
    private(set) var kratos: KratosLogHandler?
    public var maskedKeys: Set<String> {
        didSet { prepareBase() }
    }
    public var maskedValues: Set<String> {
        didSet { prepareBase() }
    }
    public var metadataProvider: Logger.MetadataProvider?
    public var metadata: Logger.Metadata = [:] {
        didSet { prepareBase() }
    }
    /// `metadata` in key order and masked, written as `kratos` writes a field, for records whose
    /// fields come sorted; nil when a value is not a plain string (one whose text could change
    /// from record to record) or the wrapped handler is not Kratos's.
    private(set) var base: [(key: String, text: [UInt8])]?
    public var logLevel: Logger.Level

    public static let mask = "***"

    public init(_ wrapped: any LogHandler, minimumLevel: Logger.Level = .trace, maskedKeys: Set<String> = [],
                maskedValues: Set<String> = []) {
        var inner = wrapped
        metadataProvider = inner.metadataProvider
        inner.metadataProvider = nil
        inner.logLevel = .trace
        self.wrapped = inner
        kratos = inner as? KratosLogHandler
        logLevel = minimumLevel
        self.maskedKeys = maskedKeys
        self.maskedValues = maskedValues
        prepareBase()
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    private mutating func prepareBase() {
        let sorted = LogFields(metadata).sorted()
        guard let kratos, sorted.allSatisfy({ if case .string = $0.value { true } else { false } }) else { return base = nil }
        base = sorted.map { key, value in
            let text = KratosLogHandler.text(value)
            return (key, LogLine.field(key, masks(key, text) ? Self.mask : text, format: kratos.format))
        }
    }

    /// Whether the value of `key`, `text`, is written as ``mask``.
    func masks(_ key: String, _ text: @autoclosure () -> String) -> Bool {
        maskedKeys.contains(key) || (!maskedValues.isEmpty && maskedValues.contains(text()))
    }

    public func log(event: LogEvent) {
        guard event.level >= logLevel else { return }
        var fields = LogFields(metadata)
        if let provided = metadataProvider?.get() { fields.add(provided) }
        if let explicit = event.metadata { fields.add(explicit) }
        if !maskedKeys.isEmpty || !maskedValues.isEmpty {
            fields.mask(with: .string(Self.mask)) { key, value in masks(key, KratosLogHandler.text(value)) }
        }
        if let kratos {
            kratos.log(event: event, fields: fields)
        } else {
            var event = event
            event.metadata = fields.metadata
            wrapped.log(event: event)
        }
    }
}

extension Logger.MetadataProvider {
    /// `service.id`, `service.name` and `service.version` of `app` on every record.
    public static func service(_ app: AppInfo) -> Logger.MetadataProvider {
        Logger.MetadataProvider {
            ["service.id": .string(app.id), "service.name": .string(app.name), "service.version": .string(app.version)]
        }
    }

    /// `key` with a value computed on every record (go-kratos's valuer).
    public static func valuer(_ key: String, _ value: @escaping @Sendable () -> String?) -> Logger.MetadataProvider {
        Logger.MetadataProvider {
            guard let value = value() else { return [:] }
            return [key: .string(value)]
        }
    }
}

/// One-line logging setup for an app, usually decoded from the `log` section of its config.
public enum KratosLogging {
    public struct Configuration: Sendable, Decodable {
        public var level: String
        public var format: KratosLogHandler.Format
        /// Keys whose values are written as `***`.
        public var mask: [String]

        public init(level: String = "info", format: KratosLogHandler.Format = .logfmt, mask: [String] = []) {
            self.level = level
            self.format = format
            self.mask = mask
        }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            level = try container.decodeIfPresent(String.self, forKey: .level) ?? "info"
            format = try container.decodeIfPresent(KratosLogHandler.Format.self, forKey: .format) ?? .logfmt
            mask = try container.decodeIfPresent([String].self, forKey: .mask) ?? []
        }

        private enum CodingKeys: String, CodingKey { case level, format, mask }

        /// `level` as a swift-log level (`warn` and `fatal` as go-kratos names them); info if unknown.
        public var logLevel: Logger.Level {
            switch level.lowercased() {
            case "warn": .warning
            case "fatal": .critical
            default: Logger.Level(rawValue: level.lowercased()) ?? .info
            }
        }
    }

    /// The handler an app's loggers use: Kratos records, masking, level filter, service identity.
    public static func handler(_ configuration: Configuration, app: AppInfo?, output: LogOutput = .standardError,
                               extraProvider: Logger.MetadataProvider? = nil) -> any LogHandler {
        // The service's identity never changes: handler metadata, not a provider building it per record.
        let base = KratosLogHandler(format: configuration.format, output: output, level: .trace, metadataProvider: extraProvider)
        var handler = FilteringLogHandler(base, minimumLevel: configuration.logLevel, maskedKeys: Set(configuration.mask))
        if let app {
            handler.metadata = ["service.id": .string(app.id), "service.name": .string(app.name), "service.version": .string(app.version)]
        }
        return handler
    }

    /// Bootstraps swift-log for the whole process (once, at start-up); `extraProvider` adds
    /// fields to every record, e.g. `KratosOTel.logMetadata`'s `trace.id` and `span.id`.
    public static func bootstrap(_ configuration: Configuration, app: AppInfo?, output: LogOutput = .standardError,
                                 extraProvider: Logger.MetadataProvider? = nil) {
        LoggingSystem.bootstrap { _ in handler(configuration, app: app, output: output, extraProvider: extraProvider) }
    }
}
