import Logging

/// One record as go-kratos writes it: `level`, `ts`, `caller` and `msg` first, then the fields in
/// key order, as logfmt or as a JSON object, without its newline. The record's own fields are
/// merged as the line is written into the handler's (`base`, written once beforehand), replacing
/// one of the same key.
struct LogLine: ByteRendering {
    var format: KratosLogHandler.Format
    var level: Logger.Level
    var timestamp: LogTimestamp
    /// The caller's `#fileID` (`Module/File.swift`); the line shows its file name.
    var file: String
    var line: UInt
    var message: String
    /// The record's fields, in key order, one per key.
    var fields: [(key: String, value: String)]
    /// The handler's fields, in key order, one per key, each as ``field(_:_:format:)`` writes it.
    var base: [(key: String, text: [UInt8])] = []

    func render(into sink: inout some ByteSink) {
        switch format {
        case .logfmt:
            sink.append("level=")
            sink.append(Self.name(of: level))
            sink.append(" ts=")
            timestamp.render(into: &sink)
            sink.append(" caller=")
            let line = line
            Self.withFileName(of: file) { name in
                if Self.isPlainLogfmt(name) {
                    sink.append(bytes: name)
                    sink.append(UInt8(ascii: ":"))
                    sink.append(decimal: line)
                } else {
                    Self.appendQuotedCaller(name, line: line, to: &sink)
                }
            }
            sink.append(" msg=")
            Self.appendLogfmt(message, to: &sink)
        case .json:
            sink.append(#"{"level":""#)
            sink.append(Self.name(of: level))
            sink.append(#"","ts":""#)
            timestamp.render(into: &sink)
            sink.append(#"","caller":"#)
            let line = line
            Self.withFileName(of: file) { Self.appendQuotedCaller($0, line: line, to: &sink) }
            sink.append(#","msg":"#)
            JSONString.appendQuoted(message, to: &sink)
        }
        var next = base.startIndex
        for (key, value) in fields {
            while next < base.endIndex, base[next].key <= key {
                if base[next].key != key { base[next].text.withUnsafeBytes { sink.append(bytes: $0) } }
                next += 1
            }
            Self.appendField(key, value, format: format, to: &sink)
        }
        for field in base[next...] { field.text.withUnsafeBytes { sink.append(bytes: $0) } }
        if format == .json { sink.append(UInt8(ascii: "}")) }
    }

    /// A field as a line shows it: ` key=value` or `,"key":"value"`.
    static func field(_ key: String, _ value: String, format: KratosLogHandler.Format) -> [UInt8] {
        var text: [UInt8] = []
        appendField(key, value, format: format, to: &text)
        return text
    }

    private static func appendField(_ key: String, _ value: String, format: KratosLogHandler.Format, to sink: inout some ByteSink) {
        switch format {
        case .logfmt:
            sink.append(UInt8(ascii: " "))
            sink.append(utf8: key)
            sink.append(UInt8(ascii: "="))
            appendLogfmt(value, to: &sink)
        case .json:
            sink.append(UInt8(ascii: ","))
            JSONString.appendQuoted(key, to: &sink)
            sink.append(UInt8(ascii: ":"))
            JSONString.appendQuoted(value, to: &sink)
        }
    }

    /// The last component of `file`, found in its UTF-8 bytes.
    private static func withFileName(of file: String, _ body: (UnsafeRawBufferPointer) -> Void) {
        var file = file
        file.withUTF8 { bytes in
            let name = UnsafeBufferPointer(rebasing: bytes[(bytes.lastIndex(of: UInt8(ascii: "/")).map { $0 + 1 } ?? 0)...])
            body(UnsafeRawBufferPointer(name))
        }
    }

    /// `name:line` as a JSON string literal (logfmt quotes the same way).
    private static func appendQuotedCaller(_ name: UnsafeRawBufferPointer, line: UInt, to sink: inout some ByteSink) {
        sink.append(UInt8(ascii: "\""))
        JSONString.appendEscaped(name, to: &sink)
        sink.append(UInt8(ascii: ":"))
        sink.append(decimal: line)
        sink.append(UInt8(ascii: "\""))
    }

    /// go-kratos's level names.
    static func name(of level: Logger.Level) -> StaticString {
        switch level {
        case .trace: "TRACE"
        case .debug: "DEBUG"
        case .info, .notice: "INFO"
        case .warning: "WARN"
        case .error: "ERROR"
        case .critical: "FATAL"
        }
    }

    /// `value` as logfmt writes it: as it is, or quoted when empty or holding spaces, `=`, `"` or
    /// control characters.
    static func appendLogfmt(_ value: String, to sink: inout some ByteSink) {
        // Read in place; a string not held as contiguous UTF-8 (none is, natively) is quoted.
        let written = value.utf8.withContiguousStorageIfAvailable { bytes in
            guard isPlainLogfmt(UnsafeRawBufferPointer(bytes)) else { return false }
            sink.append(bytes: UnsafeRawBufferPointer(bytes))
            return true
        } ?? false
        if !written { JSONString.appendQuoted(value, to: &sink) }
    }

    /// Whether logfmt writes `bytes` as they are: not empty, and no space, `=`, `"` or control
    /// character.
    static func isPlainLogfmt(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes where byte <= UInt8(ascii: " ") || byte == UInt8(ascii: "=") || byte == UInt8(ascii: "\"") {
            return false
        }
        return !bytes.isEmpty
    }
}
