import Foundation
import Kratos
import NIOCore
import NIOHTTP1
import Yams

/// Reading and answering with the document.
enum OpenAPIDocument {
    /// `document` (YAML or JSON) as JSON with sorted keys. Written from Yams's node tree, so
    /// numbers keep their exact text (a `maximum` of 18446744073709551615 stays that number).
    static func json(from document: String) throws -> ByteBuffer {
        guard let root = try Yams.compose(yaml: document), case .mapping = root else {
            throw KratosError(code: 500, reason: "OPENAPI", message: "the OpenAPI document is not a mapping")
        }
        var out = ""
        try write(root, into: &out)
        return ByteBuffer(string: out)
    }

    private static func write(_ node: Yams.Node, into out: inout String) throws {
        switch node {
        case .mapping(let mapping):
            let members = try mapping.map { pair -> (String, Yams.Node) in
                guard let key = pair.key.string else { throw invalid("a mapping key is not a string") }
                return (key, pair.value)
            }.sorted { $0.0 < $1.0 }
            out += "{"
            for (index, (key, value)) in members.enumerated() {
                if index > 0 { out += "," }
                out += JSONString.quoted(key) + ":"
                try write(value, into: &out)
            }
            out += "}"
        case .sequence(let sequence):
            out += "["
            for (index, item) in sequence.enumerated() {
                if index > 0 { out += "," }
                try write(item, into: &out)
            }
            out += "]"
        case .scalar(let scalar):
            let text = scalar.string
            switch Tag.Name(rawValue: node.tag.description) {
            case .null: out += "null"
            case .bool: out += node.bool == true ? "true" : "false"
            case .int where text.wholeMatch(of: /-?(0|[1-9][0-9]*)/) != nil: out += text
            case .int: guard let value = node.int else { throw invalid("\(text) is not an integer") }; out += String(value)
            case .float where text.wholeMatch(of: /-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/) != nil: out += text
            case .float:
                guard let value = node.float, value.isFinite else { throw invalid("\(text) is not a JSON number") }
                out += "\(value)"
            default: out += JSONString.quoted(text)
            }
        case .alias:
            throw invalid("aliases are not supported")
        }
    }

    private static func invalid(_ why: String) -> KratosError {
        KratosError(code: 500, reason: "OPENAPI", message: "the OpenAPI document cannot be JSON: \(why)")
    }

    static func response(_ body: ByteBuffer, contentType: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add(name: "content-type", value: contentType)
        return HTTPResponse(status: .ok, headers: headers, body: body)
    }
}
