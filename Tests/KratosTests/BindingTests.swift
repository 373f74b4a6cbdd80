import Foundation
import SwiftProtobuf
import Testing
@testable import Kratos
import KratosTestSupport

typealias Everything = Kratos_Test_V1_Everything

@Suite struct MessageBindingTests {
    func bind(_ query: String) throws -> Everything {
        var message = Everything()
        try MessageBinding.bind(QueryParameters(parsing: query), into: &message)
        return message
    }

    @Test func protoAndJSONFieldNames() throws {
        #expect(try bind("user_id=u1").userID == "u1")
        #expect(try bind("userId=u2").userID == "u2")
    }

    @Test func scalars() throws {
        let m = try bind("name=ann+lee&count=-7&big=9007199254740993&small=4&ratio=0.25&flag=true")
        #expect(m.name == "ann lee")
        #expect(m.count == -7)
        #expect(m.big == 9_007_199_254_740_993)
        #expect(m.small == 4)
        #expect(m.ratio == 0.25)
        #expect(m.flag)
        #expect(try bind("flag=1").flag)
        #expect(try !bind("flag=false").flag)
    }

    @Test func nestedFields() throws {
        let m = try bind("page.size=10&page.token=abc&page.next.size=20")
        #expect(m.page.size == 10 && m.page.token == "abc" && m.page.next.size == 20)
    }

    @Test func repeatedFields() throws {
        let m = try bind("tags=a&tags=b&ids=1&ids=2&ids=3&colors=RED&colors=2")
        #expect(m.tags == ["a", "b"])
        #expect(m.ids == [1, 2, 3])
        #expect(m.colors == [.red, .green])
    }

    @Test func maps() throws {
        let m = try bind("labels[env]=prod&labels[team]=core&labels.zone=eu&pages[3].size=30")
        #expect(m.labels == ["env": "prod", "team": "core", "zone": "eu"])
        #expect(m.pages[3]?.size == 30)
    }

    @Test(arguments: ["pages[abc].size=1", "pages[1.5].size=1", "pages.x.size=1"])
    func mapKeysMustFitTheKeyType(query: String) {
        #expect {
            try bind(query)
        } throws: { error in
            let kratos = error as? KratosError
            return kratos?.code == 400 && kratos?.reason == "CODEC" && kratos?.message.contains("keys of map pages are integers") == true
        }
    }

    @Test func enumsByNameOrNumber() throws {
        #expect(try bind("color=GREEN").color == .green)
        #expect(try bind("color=1").color == .red)
    }

    @Test func bytesAsBase64() throws {
        #expect(try bind("blob=aGVsbG8=").blob == Data("hello".utf8))
        #expect(try bind("blob=_-8").blob == Data([0xFF, 0xEF]))
    }

    @Test func wellKnownTypes() throws {
        let m = try bind("at=2024-05-06T07:08:09Z&wait=1.5s&nickname=al&limit=50&enabled=true&mask=name,page.size")
        #expect(m.at.seconds == 1_714_979_289)
        #expect(m.wait.seconds == 1 && m.wait.nanos == 500_000_000)
        #expect(m.nickname.value == "al")
        #expect(m.limit.value == 50)
        #expect(m.enabled.value == true)
        #expect(m.mask.paths == ["name", "page.size"])
    }

    @Test func optionalAndOneofFields() throws {
        let m = try bind("note=hi&number=5")
        #expect(m.hasNote && m.note == "hi")
        #expect(m.choice == .number(5))
    }

    @Test func unknownKeysAreIgnored() throws {
        #expect(try bind("nope=1&name=x&page.nope=2").name == "x")
    }

    @Test func laterBindingsWin() throws {
        var message = Everything()
        try MessageBinding.bind(QueryParameters(parsing: "name=from-query&count=1"), into: &message)
        try MessageBinding.bind(QueryParameters([("name", "from-path")]), into: &message)
        #expect(message.name == "from-path" && message.count == 1)
    }

    /// go-kratos encoding/form/proto_decode_test.go, TestDecodeValues: one query with a value for
    /// every kind of field (our Everything message standing in for testproto.Complex).
    @Test func goKratosDecodeValues() throws {
        let query = "big=2233&numberOne=2233&page.size=5566&tags=3344&tags=5566&flag=true&color=GREEN&count=18&small=19"
            + "&total=3&price=11.23&ratio=22.22&blob=MTIz&raw=MTIz&at=1970-01-01T00%3A00%3A20.000000002Z"
            + "&wait=2m0.000000022s&mask=1%2C2&precise=12.33&limit=64&enabled=false&nickname=go-kratos"
        let m = try bind(query)
        #expect(m.big == 2233 && m.noOne == "2233" && m.page.size == 5566 && m.tags == ["3344", "5566"])
        #expect(m.flag && m.color == .green && m.count == 18 && m.small == 19 && m.total == 3)
        #expect(m.price == 11.23 && m.ratio == 22.22 && m.blob == Data("123".utf8) && m.raw.value == Data("123".utf8))
        #expect(m.at.seconds == 20 && m.at.nanos == 2)
        #expect(m.wait.seconds == 120 && m.wait.nanos == 22)
        #expect(m.mask.paths == ["1", "2"] && m.precise.value == 12.33 && m.limit.value == 64)
        #expect(m.hasEnabled && m.enabled.value == false && m.nickname.value == "go-kratos")
    }

    /// Durations in every form Go's time.ParseDuration takes (go-kratos binds them with it), and
    /// protojson's "1.5s", which is also Go syntax.
    @Test(arguments: [("2m0.000000022s", 120, 22), ("1.5s", 1, 500_000_000), ("1h30m", 5400, 0), ("-1.5h", -5400, 0),
                      ("300ms", 0, 300_000_000), ("10us", 0, 10_000), ("10µs", 0, 10_000), ("10μs", 0, 10_000), ("7ns", 0, 7),
                      ("0", 0, 0), ("1m40s", 100, 0), (".5s", 0, 500_000_000), ("1.s", 1, 0), ("+2h", 7200, 0),
                      ("-100s", -100, 0), ("2562047h47m16.854775807s", 9_223_372_036, 854_775_807)] as [(String, Int64, Int32)])
    func goDurations(text: String, seconds: Int64, nanos: Int32) throws {
        let m = try bind("wait=" + (text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text))
        #expect(m.wait.seconds == seconds && m.wait.nanos == (seconds < 0 ? -nanos : nanos), "\(text) → \(m.wait)")
    }

    @Test(arguments: ["1", "1d", "s", "+-1s", "1.2.3s", "2562047h47m16.854775808s", "1 s"])
    func badDurationsNameTheParameter(text: String) {
        #expect {
            try bind("wait=" + (text.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? text))
        } throws: { error in
            let kratos = error as? KratosError
            return kratos?.code == 400 && kratos?.message.contains("parameter wait") == true
        }
    }

    /// go-kratos encoding/form/proto_decode_test.go, TestParseField: an enum takes a name or a
    /// defined number; `"2" is not a valid value` otherwise (proto3 would keep it as UNRECOGNIZED).
    @Test func enumsTakeOnlyDefinedValues() throws {
        #expect(try bind("color=COLOR_UNSPECIFIED&count=1").color == .unspecified)
        #expect(try bind("colors=0&colors=GREEN").colors == [.unspecified, .green])
        for query in ["color=7", "color=BLUE", "colors=9", "colors=RED&colors=purple", "color=green", "color=-1"] {
            #expect {
                try bind(query)
            } throws: { error in
                let kratos = error as? KratosError
                let key = query.split(separator: "&").last?.split(separator: "=")[0] ?? ""
                return kratos?.code == 400 && kratos?.message.contains("parameter \(key)") == true
                    && kratos?.message.contains("is not a valid value") == true
            }
        }
    }

    /// go-kratos TestParseURLQueryMapKey: `map[]` and `map.` are the empty key; `m.a.b` is an error
    /// (invalid formatting for map key); an empty key of an integer map is not an integer.
    @Test func emptyMapKeys() throws {
        #expect(try bind("labels[]=v").labels == ["": "v"])
        #expect(try bind("labels.=w").labels == ["": "w"])
        #expect(try bind("map_int64_key[1]=kratos&mapInt64Key[2]=go-zero").mapInt64Key == [1: "kratos", 2: "go-zero"])
        #expect(try bind("tags[]=a&tags[]=b").tags == ["a", "b"])
        for query in ["labels.a.b=v", "map_int64_key[]=x", "map_int64_key.=x"] {
            #expect(throws: KratosError.self, "\(query)") { try bind(query) }
        }
    }

    /// go-kratos encoding/form/form_test.go, TestDecodeStructPb: Struct fields from JSON text, one
    /// value per element of a repeated Struct; `data.name=kratos` sets one member as a string.
    /// ListValue from a JSON array and Value from JSON text (else the text as a string).
    @Test func structValueAndListValueFromJSONText() throws {
        let m = try bind(#"data={"name":"kratos"}&data_list={"name1": "kratos"}&data_list={"name2": "go-kratos"}"#)
        #expect(m.data.fields["name"]?.stringValue == "kratos")
        #expect(m.dataList.count == 2 && m.dataList[0].fields["name1"]?.stringValue == "kratos"
                && m.dataList[1].fields["name2"]?.stringValue == "go-kratos")
        #expect(try bind("data.name=kratos").data.fields["name"]?.stringValue == "kratos")
        #expect(try bind("value=123").value.numberValue == 123)
        #expect(try bind("value=kratos").value.stringValue == "kratos")
        #expect(try bind(#"value={"a":true}"#).value.structValue.fields["a"]?.boolValue == true)
        #expect(try bind(#"list=[1,"a"]"#).list.values.map(\.kind) == [.numberValue(1), .stringValue("a")])
        for query in ["data=notjson", #"list={"a":1}"#, "data=[1]"] {
            #expect(throws: KratosError.self, "\(query)") { try bind(query) }
        }
    }

    @Test(arguments: ["count=abc", "flag=maybe", "ratio=x", "page=1", "labels=x", "big=1.5"])
    func badValuesAreCodecErrors(query: String) {
        #expect {
            try bind(query)
        } throws: { error in
            let kratos = error as? KratosError
            return kratos?.code == 400 && kratos?.reason == "CODEC" && kratos!.message.contains(query.split(separator: "=")[0])
        }
    }
}

@Suite struct FormDecoderTests {
    struct Filter: Decodable, Equatable {
        struct Page: Decodable, Equatable {
            var size: Int
            var token: String?
        }
        var name: String
        var active: Bool
        var ratio: Double
        var tags: [String]
        var page: Page
        var labels: [String: String]
        var limit: Int?
    }

    @Test func decodesNestedRepeatedAndMaps() throws {
        let query = "name=n&active=true&ratio=1.5&tags=a&tags=b&page.size=10&labels[env]=prod&labels[team]=core"
        let filter = try FormDecoder().decode(Filter.self, from: QueryParameters(parsing: query))
        #expect(filter == Filter(name: "n", active: true, ratio: 1.5, tags: ["a", "b"], page: .init(size: 10, token: nil),
                                 labels: ["env": "prod", "team": "core"], limit: nil))
    }

    @Test func indexedArrays() throws {
        struct List: Decodable { var ids: [Int] }
        #expect(try FormDecoder().decode(List.self, from: QueryParameters(parsing: "ids[1]=20&ids[0]=10")).ids == [10, 20])
    }

    @Test func badValuesAreCodecErrors() {
        #expect {
            try FormDecoder().decode(Filter.Page.self, from: QueryParameters(parsing: "size=big"))
        } throws: { ($0 as? KratosError)?.reason == "CODEC" }
        #expect {
            try FormDecoder().decode(Filter.Page.self, from: QueryParameters(parsing: "token=x"))
        } throws: { ($0 as? KratosError)?.reason == "CODEC" }
    }
}

@Suite struct QueryParametersTests {
    @Test func parsesAndEscapes() {
        let query = QueryParameters(parsing: "a=1&b=x%20y+z&c&d=%E2%9C%93&e=%zz")
        #expect(query.pairs.map(\.key) == ["a", "b", "c", "d", "e"])
        #expect(query["b"] == "x y z" && query["c"] == "" && query["d"] == "✓" && query["e"] == "%zz")
        #expect(QueryParameters([("k y", "a&b=c")]).encoded == "k+y=a%26b%3Dc")
    }

    @Test(arguments: [("a.b.c", ["a", "b", "c"]), ("m[k]", ["m", "k"]), ("m[k.x]", ["m", "k.x"]), ("a[]", ["a", ""]), ("m.", ["m", ""]),
                      ("p[3].size", ["p", "3", "size"])])
    func keyPaths(key: String, path: [String]) {
        #expect(QueryParameters.path(of: key) == path)
    }
}
