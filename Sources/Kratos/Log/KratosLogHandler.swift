import Foundation
import Logging
import Synchronization

/// Where a log handler writes, one line at a time.
public struct LogOutput: Sendable {
    let write: @Sendable (String) -> Void

    /// Lines go to `write`, e.g. to capture them.
    public init(_ write: @escaping @Sendable (String) -> Void) {
        self.write = write
    }

    public static let standardOutput = LogOutput { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
    public static let standardError = LogOutput { line in FileHandle.standardError.write(Data((line + "\n").utf8)) }
}

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
        var fields = self.metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let explicit = event.metadata { fields.merge(explicit) { $1 } }
        if let error = event.error { fields["error"] = "\(error)" }
        let caller = "\(event.file.split(separator: "/").last ?? Substring(event.file)):\(event.line)"
        output.write(Self.render(format: format, level: event.level, timestamp: Date(), caller: caller, message: "\(event.message)", fields: fields))
    }

    /// go-kratos's level names.
    public static func name(of level: Logger.Level) -> String {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "FATAL"
        }
    }

    static func render(format: Format, level: Logger.Level, timestamp: Date, caller: String, message: String,
                       fields: Logger.Metadata) -> String {
        let head: [(String, String)] = [("level", name(of: level)), ("ts", timestamp.formatted(Self.timestampStyle)),
                                        ("caller", caller), ("msg", message)]
        let rest = fields.keys.sorted().map { ($0, text(fields[$0]!)) }
        switch format {
        case .logfmt:
            return (head + rest).map { "\($0.0)=\(logfmtValue($0.1))" }.joined(separator: " ")
        case .json:
            return "{" + (head + rest).map { "\(JSONString.quoted($0.0)):\(JSONString.quoted($0.1))" }.joined(separator: ",") + "}"
        }
    }

    static let timestampStyle = Date.ISO8601FormatStyle(includingFractionalSeconds: true)

    static func text(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let string): string
        case .stringConvertible(let convertible): convertible.description
        case .array(let values): "[" + values.map(text).joined(separator: ",") + "]"
        case .dictionary(let map): "{" + map.keys.sorted().map { "\($0):\(text(map[$0]!))" }.joined(separator: ",") + "}"
        }
    }

    /// Quoted when empty or holding spaces, `=`, `"` or control characters.
    static func logfmtValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.unicodeScalars.contains { $0 == " " || $0 == "=" || $0 == "\"" || $0.value < 0x20 }
        return needsQuotes ? JSONString.quoted(value) : value
    }
}

/// Wraps a handler: drops records below `minimumLevel` and masks the values of `maskedKeys`, and
/// any value in `maskedValues`, as `***` (go-kratos's `log.NewFilter`).
public struct FilteringLogHandler: LogHandler {
    public var wrapped: any LogHandler
    public var maskedKeys: Set<String>
    public var maskedValues: Set<String>
    public var metadataProvider: Logger.MetadataProvider?
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level

    public static let mask = "***"

    public init(_ wrapped: any LogHandler, minimumLevel: Logger.Level = .trace, maskedKeys: Set<String> = [],
                maskedValues: Set<String> = []) {
        var inner = wrapped
        metadataProvider = inner.metadataProvider
        inner.metadataProvider = nil
        inner.logLevel = .trace
        self.wrapped = inner
        logLevel = minimumLevel
        self.maskedKeys = maskedKeys
        self.maskedValues = maskedValues
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        guard event.level >= logLevel else { return }
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let explicit = event.metadata { fields.merge(explicit) { $1 } }
        for (key, value) in fields where maskedKeys.contains(key) || maskedValues.contains(KratosLogHandler.text(value)) {
            fields[key] = .string(Self.mask)
        }
        var event = event
        event.metadata = fields
        wrapped.log(event: event)
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
        let providers = [app.map(Logger.MetadataProvider.service), extraProvider].compactMap { $0 }
        let provider: Logger.MetadataProvider? = providers.isEmpty ? nil : .multiplex(providers)
        let base = KratosLogHandler(format: configuration.format, output: output, level: .trace, metadataProvider: provider)
        return FilteringLogHandler(base, minimumLevel: configuration.logLevel, maskedKeys: Set(configuration.mask))
    }

    /// Bootstraps swift-log for the whole process (once, at start-up); `extraProvider` adds
    /// fields to every record, e.g. `KratosOTel.logMetadata`'s `trace.id` and `span.id`.
    public static func bootstrap(_ configuration: Configuration, app: AppInfo?, output: LogOutput = .standardError,
                                 extraProvider: Logger.MetadataProvider? = nil) {
        LoggingSystem.bootstrap { _ in handler(configuration, app: app, output: output, extraProvider: extraProvider) }
    }
}
