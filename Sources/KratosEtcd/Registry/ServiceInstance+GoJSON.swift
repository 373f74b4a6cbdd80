import Foundation
import Kratos

/// go-kratos's `registry.ServiceInstance` as JSON, the value its etcd registry stores:
/// `{"id":…,"name":…,"version":…,"metadata":{…},"endpoints":[…]}`, byte for byte what Go's
/// `encoding/json` writes (fields in that order, map keys sorted, `<`, `>`, `&`, U+2028 and
/// U+2029 escaped; `\b` and `\f` as Go 1.22 on), so Go and Swift services read each other's registrations.
enum GoJSON {
    static func encode(_ instance: ServiceInstance) -> String {
        var out = "{\"id\":"
        string(instance.id, into: &out)
        out += ",\"name\":"
        string(instance.name, into: &out)
        out += ",\"version\":"
        string(instance.version, into: &out)
        out += ",\"metadata\":{"
        // Go sorts map keys by their bytes.
        for (index, key) in instance.metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }).enumerated() {
            if index > 0 { out += "," }
            string(key, into: &out)
            out += ":"
            string(instance.metadata[key] ?? "", into: &out)
        }
        out += "},\"endpoints\":["
        for (index, endpoint) in instance.endpoints.enumerated() {
            if index > 0 { out += "," }
            string(endpoint, into: &out)
        }
        out += "]}"
        return out
    }

    /// Reads what go-kratos (or this module) wrote. As Go's decoder: absent fields and `null`
    /// are empty, unknown fields are ignored; a value of the wrong type is an error.
    static func decode(_ bytes: [UInt8]) throws -> ServiceInstance {
        let wire = try JSONDecoder().decode(Wire.self, from: Data(bytes))
        return ServiceInstance(id: wire.id ?? "", name: wire.name ?? "", version: wire.version ?? "",
                               metadata: wire.metadata ?? [:], endpoints: wire.endpoints ?? [])
    }

    private struct Wire: Decodable {
        var id: String?
        var name: String?
        var version: String?
        var metadata: [String: String]?
        var endpoints: [String]?
    }

    /// A JSON string as Go's `encoding/json` escapes it (HTML-safe).
    private static func string(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{8}": out += "\\b"
            case "\u{c}": out += "\\f"
            case "<", ">", "&", "\u{2028}", "\u{2029}":
                out += "\\u" + String(format: "%04x", scalar.value)
            case _ where scalar.value < 0x20:
                out += "\\u" + String(format: "%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}
