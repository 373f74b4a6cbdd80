import Foundation

/// JSON string literals, for the JSON the runtime writes by hand: error bodies, logfmt/JSON log
/// lines, and the protojson of bound query parameters. (The protojson writer escapes at the byte
/// level as SwiftProtobuf does; see ProtoJSONWriter.)
enum JSONString {
    /// `text` as a JSON string literal, quotes included.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20: out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
