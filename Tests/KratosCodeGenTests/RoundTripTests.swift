import Foundation
import Kratos
import KratosHTTP
import KratosHTTPClient
import KratosTestSupport
import SwiftProtobuf
import Testing

typealias Everything = Kratos_Test_V1_Everything

/// Echoes the request: what comes back is what the server bound.
struct Mirror: Kratos_Test_V1_MirrorService {
    func echo(_ request: Everything, context: RequestContext) async throws -> Everything { request }
    func echoBody(_ request: Everything, context: RequestContext) async throws -> Everything { request }
}

/// Every field kind through our HTTP client into our server and back, in the query (GET) and in
/// the body (POST); and the query our client writes checked against go-kratos's form decoder
/// rules (encoding/form/proto_decode.go, as its tests define them).
@Suite struct RoundTripTests {
    static let full = Everything.with {
        $0.name = "ann & lee/ü"
        $0.count = -7
        $0.big = Int64.min
        $0.small = UInt32.max
        $0.ratio = 0.25
        $0.flag = true
        $0.blob = Data([0, 1, 0xFB, 0xFF])
        $0.color = .green
        $0.tags = ["a", "b c", ""]
        $0.ids = [1, -2, Int64.max]
        $0.colors = [.red, .unspecified]
        $0.page = .with { $0.size = 10; $0.token = "t=1"; $0.next = .with { $0.size = 20 } }
        $0.labels = ["env": "prod", "a.b": "dotted", "": "empty"]
        $0.pages = [3: .with { $0.size = 30 }]
        $0.at = Google_Protobuf_Timestamp(seconds: 20, nanos: 2)
        $0.wait = Google_Protobuf_Duration(seconds: 120, nanos: 22)
        $0.nickname = Google_Protobuf_StringValue("nick")
        $0.limit = Google_Protobuf_Int64Value(64)
        $0.enabled = Google_Protobuf_BoolValue(false)
        $0.mask = Google_Protobuf_FieldMask(protoPaths: ["user_id", "page.size"])
        $0.userID = "u1"
        $0.note = ""
        $0.text = "chosen"
        $0.data = Google_Protobuf_Struct(fields: ["name": .init(stringValue: "kratos"), "n": .init(numberValue: 2)])
        $0.dataList = [Google_Protobuf_Struct(fields: ["x": .init(boolValue: true)]), Google_Protobuf_Struct()]
        $0.value = .init(stringValue: "v")
        $0.list = .init(values: [.init(numberValue: 1), .init(stringValue: "a")])
        $0.mapInt64Key = [1: "kratos", -2: "go-zero"]
        $0.price = 11.23
        $0.total = UInt64.max
        $0.raw = Google_Protobuf_BytesValue(Data("123".utf8))
        $0.precise = Google_Protobuf_DoubleValue(12.33)
        $0.pagesList = [.with { $0.token = "p" }]
        $0.noOne = "2233"
    }

    @Test func everyFieldKindThroughQueryAndBody() async throws {
        let server = loopbackServer()
        try Mirror().register(on: server)
        try await withServer(server) { endpoint in
            let mirror = Kratos_Test_V1_MirrorHTTPClient(KratosHTTPClient(.init(endpoint: endpoint)))
            #expect(try await mirror.echoBody(Self.full) == Self.full)
            // The query carries all but what go-kratos's form encoding leaves out.
            var expected = Self.full
            expected.pages = [:]
            expected.pagesList = []
            expected.clearList()
            let viaQuery = try await mirror.echo(Self.full)
            #expect(viaQuery == expected, "\(viaQuery)")
            // And an empty message both ways. The reply carries unset fields as go-kratos writes
            // them, `"value":null` among them, which protojson (Go's too) reads back as NullValue.
            let empty = Everything.with { $0.value = .with { $0.nullValue = .nullValue } }
            #expect(try await mirror.echo(Everything()) == empty)
            #expect(try await mirror.echoBody(Everything()) == empty)
        }
    }

    /// The wire items with curl: go-kratos query forms bind (TestDecodeValues' Go duration,
    /// TestParseURLQueryMapKey's `map[]`, TestParseField's enum), an undefined enum number is a 400
    /// naming the parameter, an empty reply carries every unpopulated field, and odd content types
    /// are read as httputil.ContentSubtype reads them.
    @Test func goKratosWireFormsOverCurl() async throws {
        let server = loopbackServer()
        try Mirror().register(on: server)
        try await withServer(server) { endpoint in
            let bound = try await curl("-g", endpoint + "/v1/mirror?wait=2m0.000000022s&color=GREEN&labels[]=e&labels.x=y&numberOne=1")
            #expect(bound.status == 200)
            let json = try bound.json()
            #expect(json["wait"] as? String == "120.000000022s" && json["color"] as? String == "GREEN")
            #expect(json["labels"] as? [String: String] == ["": "e", "x": "y"] && json["numberOne"] as? String == "1")
            let undefined = try await curl(endpoint + "/v1/mirror?color=7")
            #expect(undefined.status == 400 && undefined.text.contains(#"parameter color: \"7\" is not a valid value"#), "\(undefined.text)")
            let empty = try await curl(endpoint + "/v1/mirror")
            #expect(empty.text.hasPrefix(#"{"name":"","count":0,"big":"0","small":0,"ratio":0,"flag":false,"blob":"","color":"COLOR_UNSPECIFIED","tags":[]"#))
            for contentType in ["Application/JSON", "application/json ; charset=utf-8"] {
                let reply = try await curl("-X", "POST", "-H", "content-type: \(contentType)", "-d", #"{"name":"n"}"#, endpoint + "/v1/mirror")
                let name = try reply.json()["name"] as? String
                #expect(reply.status == 200 && name == "n", "\(contentType)")
            }
            let bare = try await curl("-X", "POST", "-H", "content-type: application", "-d", #"{"name":"n"}"#, endpoint + "/v1/mirror")
            #expect(bare.status == 400 && bare.text.contains("unsupported Content-Type application"))
        }
    }

    @Test func theQueryFollowsGoKratosFormDecoderRules() throws {
        let parameters = try FormCodec.encodeMessage(Self.full)
        #expect(parameters.pairs.map(\.key) == parameters.pairs.map(\.key).sorted(), "keys sorted as url.Values.Encode sorts them")
        // go-kratos splits keys on "." before it reads `m[k]`: a map key with a dot is dropped
        // there (silently, as its own encoder's output would be); nothing is refused.
        for (key, value) in parameters.pairs where key != "labels[a.b]" {
            #expect(GoKratosForm.accepts(key: key, value: value, in: Everything.self) == nil, "\(key)=\(value)")
        }
        #expect(GoKratosForm.accepts(key: "labels[a.b]", value: "dotted", in: Everything.self)?.hasSuffix("(ignored)") == true)
        // What it writes, field by field (cf. go-kratos TestEncodeValues: map[key]=v, nested a.b,
        // one key per element, Go-readable durations and RFC 3339 timestamps).
        let text = Dictionary(grouping: parameters.pairs, by: \.key).mapValues { $0.map(\.value) }
        #expect(text["labels[env]"] == ["prod"] && text["labels[a.b]"] == ["dotted"] && text["labels[]"] == ["empty"])
        #expect(text["page.next.size"] == ["20"] && text["tags"] == ["a", "b c", ""] && text["colors"] == ["RED", "COLOR_UNSPECIFIED"])
        #expect(text["wait"] == ["120.000000022s"] && text["at"] == ["1970-01-01T00:00:20.000000002Z"])
        #expect(text["data"] == [#"{"n":2,"name":"kratos"}"#] && text["value"] == ["v"] && text["list"] == nil)
        #expect(text["pages[3].size"] == nil && text["pages_list.token"] == nil && text["map_int64_key[-2]"] == ["go-zero"])
    }

    /// The checker itself refuses what go-kratos refuses.
    @Test(arguments: [("pages_list.token", "p"), ("pages.3.size", "1"), ("color", "7"), ("wait", "1"), ("blob", "_-8"),
                      ("list", "[1]"), ("count", "1.5"), ("labels.a.b", "x")])
    func goKratosRulesRefuse(key: String, value: String) {
        #expect(GoKratosForm.accepts(key: key, value: value, in: Everything.self) != nil)
    }
}

/// go-kratos's form decoding rules (encoding/form/proto_decode.go), for checking a query without
/// a Go server: the key resolves to a field (proto or JSON name; `a.b` only through singular
/// messages; `m[k]` or `m.k` for maps), and the value parses as go-kratos parses that field's kind.
enum GoKratosForm {
    /// Why go-kratos would refuse (or silently drop) `key=value`; nil when it binds it.
    static func accepts(key: String, value: String, in type: any SwiftProtobuf.Message.Type) -> String? {
        var schema = GoSchema(type)
        let segments = key.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        for (index, segment) in segments.enumerated() {
            let last = index == segments.count - 1
            if let field = schema.field(segment) {
                if last { return check(value, field: field) }
                if field.isMap {
                    return index == segments.count - 2 ? check(value, field: field) : "invalid formatting for map key"
                }
                guard let nested = field.messageType, !field.isRepeated else { return "invalid path: \(segment) is not a message" }
                schema = GoSchema(nested)
                continue
            }
            // name[key] for a map, in the last segment.
            guard last, let open = segment.firstIndex(of: "["), segment.last == "]",
                  let field = schema.field(String(segment[..<open])), field.isMap else { return "\(segment): no such field (ignored)" }
            return check(value, field: field)
        }
        return "empty key"
    }

    /// go-kratos's parseField for the field's kind.
    static func check(_ value: String, field: GoSchema.Field) -> String? {
        if field.isMap { return nil }
        switch field.kind {
        case "bool": return ["1", "t", "T", "TRUE", "true", "True", "0", "f", "F", "FALSE", "false", "False"].contains(value) ? nil : "ParseBool"
        case "int": return Int64(value) != nil ? nil : "ParseInt"
        case "uint": return UInt64(value) != nil ? nil : "ParseUint"
        case "float": return Double(value) != nil || ["NaN", "Infinity", "-Infinity"].contains(value) ? nil : "ParseFloat"
        case "enum": return field.enumNames.contains(value) || field.enumNumbers.contains(Int(value) ?? Int.min) ? nil : "not a valid value"
        case "bytes": return Data(base64Encoded: value) != nil ? nil : "base64.StdEncoding"
        case "google.protobuf.Duration": return Duration(config: value) != nil ? nil : "time.ParseDuration"
        case "google.protobuf.Timestamp": return value.hasSuffix("Z") && value.count >= 20 ? nil : "RFC3339Nano"
        case "google.protobuf.Struct":
            return (try? JSONSerialization.jsonObject(with: Data(value.utf8))) is [String: Any] ? nil : "protojson Struct"
        case "google.protobuf.ListValue", "google.protobuf.Any", "google.protobuf.Empty": return "unsupported message type"
        case "google.protobuf.Int64Value", "google.protobuf.Int32Value": return Int64(value) != nil ? nil : "ParseInt"
        case "google.protobuf.UInt64Value", "google.protobuf.UInt32Value": return UInt64(value) != nil ? nil : "ParseUint"
        case "google.protobuf.DoubleValue", "google.protobuf.FloatValue": return Double(value) != nil ? nil : "ParseFloat"
        case "google.protobuf.BoolValue": return ["true", "false", "1", "0"].contains(value) ? nil : "ParseBool"
        case "google.protobuf.BytesValue":
            return Data(base64Encoded: value) != nil || Data(base64Encoded: value.replacingOccurrences(of: "-", with: "+")
                .replacingOccurrences(of: "_", with: "/")) != nil ? nil : "base64"
        case let other where other.hasPrefix("google.protobuf.") || other == "string": return nil
        default: return "unsupported message type: \(field.kind)"
        }
    }
}

/// The fields of a message as go-kratos's decoder sees them, learned from the protojson of a
/// fully populated sample (names) and SwiftProtobuf's descriptor-free API.
struct GoSchema {
    struct Field {
        var kind: String
        var isRepeated = false
        var isMap = false
        var messageType: (any SwiftProtobuf.Message.Type)?
        var enumNames: Set<String> = []
        var enumNumbers: Set<Int> = []
    }

    let fields: [String: Field]

    init(_ type: any SwiftProtobuf.Message.Type) {
        fields = type == Everything.self ? Self.everything : type == Everything.Page.self ? Self.page : [:]
    }

    func field(_ name: String) -> Field? { fields[name] }

    // Written out from test.proto, by proto and JSON name.
    static let page: [String: Field] = [
        "size": .init(kind: "int"), "token": .init(kind: "string"), "next": .init(kind: "message", messageType: Everything.Page.self),
    ]
    static let everything: [String: Field] = {
        let color = Field(kind: "enum", enumNames: ["COLOR_UNSPECIFIED", "RED", "GREEN"], enumNumbers: [0, 1, 2])
        var repeatedColor = color
        repeatedColor.isRepeated = true
        let fields: [(String, String, Field)] = [
            ("name", "name", .init(kind: "string")), ("count", "count", .init(kind: "int")), ("big", "big", .init(kind: "int")),
            ("small", "small", .init(kind: "uint")), ("ratio", "ratio", .init(kind: "float")), ("flag", "flag", .init(kind: "bool")),
            ("blob", "blob", .init(kind: "bytes")), ("color", "color", color), ("tags", "tags", .init(kind: "string", isRepeated: true)),
            ("ids", "ids", .init(kind: "int", isRepeated: true)), ("colors", "colors", repeatedColor),
            ("page", "page", .init(kind: "message", messageType: Everything.Page.self)),
            ("labels", "labels", .init(kind: "string", isMap: true)), ("pages", "pages", .init(kind: "message", isMap: true)),
            ("at", "at", .init(kind: "google.protobuf.Timestamp")), ("wait", "wait", .init(kind: "google.protobuf.Duration")),
            ("nickname", "nickname", .init(kind: "google.protobuf.StringValue")), ("limit", "limit", .init(kind: "google.protobuf.Int64Value")),
            ("enabled", "enabled", .init(kind: "google.protobuf.BoolValue")), ("mask", "mask", .init(kind: "google.protobuf.FieldMask")),
            ("user_id", "userId", .init(kind: "string")), ("note", "note", .init(kind: "string")), ("text", "text", .init(kind: "string")),
            ("number", "number", .init(kind: "int")), ("data", "data", .init(kind: "google.protobuf.Struct")),
            ("data_list", "dataList", .init(kind: "google.protobuf.Struct", isRepeated: true)),
            ("value", "value", .init(kind: "google.protobuf.Value")), ("list", "list", .init(kind: "google.protobuf.ListValue")),
            ("map_int64_key", "mapInt64Key", .init(kind: "string", isMap: true)), ("price", "price", .init(kind: "float")),
            ("total", "total", .init(kind: "uint")), ("raw", "raw", .init(kind: "google.protobuf.BytesValue")),
            ("precise", "precise", .init(kind: "google.protobuf.DoubleValue")),
            ("pages_list", "pagesList", .init(kind: "message", isRepeated: true, messageType: Everything.Page.self)),
            ("no_one", "numberOne", .init(kind: "string")),
        ]
        var byName: [String: Field] = [:]
        for (proto, json, field) in fields {
            byName[proto] = field
            byName[json] = field
        }
        return byName
    }()
}
