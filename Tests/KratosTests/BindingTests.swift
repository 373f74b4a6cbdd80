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

    @Test(arguments: [("a.b.c", ["a", "b", "c"]), ("m[k]", ["m", "k"]), ("m[k.x]", ["m", "k.x"]), ("a[]", ["a"]), ("p[3].size", ["p", "3", "size"])])
    func keyPaths(key: String, path: [String]) {
        #expect(QueryParameters.path(of: key) == path)
    }
}
