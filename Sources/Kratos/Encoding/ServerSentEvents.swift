/// One Server-Sent Event (WHATWG `text/event-stream`): its name (`message` unless the event
/// named one) and its `data:` lines joined by newlines.
public struct ServerSentEvent: Sendable, Equatable {
    public let name: String
    public let data: String

    public init(name: String = "message", data: String) {
        self.name = name
        self.data = data
    }
}

/// Reads Server-Sent Events from bytes as they arrive, however they are split: lines end at LF,
/// CRLF or CR; `event:` names the event, `data:` lines are its data, a blank line dispatches it
/// (an event without data is dropped); comments (`:`) and other fields are ignored.
///
/// ```swift
/// var parser = ServerSentEventParser()
/// for try await chunk in body { for event in parser.feed(chunk) { … } }
/// ```
public struct ServerSentEventParser: Sendable {
    private var line: [UInt8] = []
    private var lastWasCR = false
    private var name: String?
    private var data: [String] = []
    private var dataBytes = 0

    public init() {}

    /// The bytes held for the event not yet complete: a reader bounds it against a peer that never
    /// ends a line or an event.
    public var pendingBytes: Int { line.count + dataBytes }

    /// The events `bytes` complete.
    public mutating func feed(_ bytes: some Sequence<UInt8>) -> [ServerSentEvent] {
        var events: [ServerSentEvent] = []
        for byte in bytes {
            if byte == UInt8(ascii: "\n"), lastWasCR {
                lastWasCR = false
                continue
            }
            lastWasCR = byte == UInt8(ascii: "\r")
            if byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r") {
                if let event = endLine() { events.append(event) }
            } else {
                line.append(byte)
            }
        }
        return events
    }

    /// Takes the line read so far; the event it dispatches, if it is blank.
    private mutating func endLine() -> ServerSentEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        guard !line.isEmpty else {
            defer { (name, data, dataBytes) = (nil, [], 0) }
            return data.isEmpty ? nil : ServerSentEvent(name: name ?? "message", data: data.joined(separator: "\n"))
        }
        guard line.first != UInt8(ascii: ":") else { return nil }
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        var value = line[colon...].dropFirst()
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        switch String(decoding: line[..<colon], as: UTF8.self) {
        case "event": name = String(decoding: value, as: UTF8.self)
        case "data":
            data.append(String(decoding: value, as: UTF8.self))
            dataBytes += value.count
        default: break
        }
        return nil
    }
}
