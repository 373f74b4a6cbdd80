import Foundation
import SwiftProtobuf
import Testing
@testable import Kratos
import KratosTestSupport

/// The XML codec, with go-kratos's encoding/xml/xml_test.go cases ported (Go's `xml:"…"` tags
/// have no Swift counterpart: roots are named after the Swift type, nesting is spelled as types).
@Suite struct XMLCodecTests {
    typealias Everything = Kratos_Test_V1_Everything

    struct Plain<V: Codable & Sendable>: Codable, Sendable {
        var V: V
    }

    struct NestedOrder: Codable, Equatable, Sendable {
        struct Parent: Codable, Equatable, Sendable {
            var c: String
            var b: String
            var a: String
        }
        var parent: Parent
    }

    struct Shelf: Codable, Equatable, Sendable {
        struct Book: Codable, Equatable, Sendable {
            var title: String
            var pages: Int
        }
        var name: String
        var count: Int
        var ratio: Double
        var open: Bool
        var tags: [String]
        var empty: [Int]
        var note: String?
        var missing: Int?
        var labels: [String: String]
        var blob: Data
        var books: [Book]
    }

    let nested = "<result><parent><c>C</c><b>B</b><a>A</a></parent></result>"

    func string(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    /// TestCodec_Marshal: `Plain{V}` with true, false and 42, and a nested value in field order.
    @Test func marshalWritesTypeNamedRootsAndFieldsInOrder() throws {
        let codec = XMLCodec()
        #expect(string(try codec.encode(Plain(V: true))) == "<Plain><V>true</V></Plain>")
        #expect(string(try codec.encode(Plain(V: false))) == "<Plain><V>false</V></Plain>")
        #expect(string(try codec.encode(Plain(V: 42))) == "<Plain><V>42</V></Plain>")
        let order = NestedOrder(parent: .init(c: "C", b: "B", a: "A"))
        #expect(string(try codec.encode(order)) == "<NestedOrder><parent><c>C</c><b>B</b><a>A</a></parent></NestedOrder>")
    }

    /// TestCodec_Unmarshal: the root's name is not checked.
    @Test func unmarshalIgnoresTheRootName() throws {
        let order = try XMLCodec().decode(NestedOrder.self, from: Array(nested.utf8))
        #expect(order == NestedOrder(parent: .init(c: "C", b: "B", a: "A")))
        #expect(try XMLCodec().decode(Plain<Int>.self, from: Array("<Plain><V> 42 </V></Plain>".utf8)).V == 42)
        #expect(try XMLCodec().decode(Plain<String>.self, from: Array("<Plain><V> 42 </V></Plain>".utf8)).V == " 42 ")
    }

    /// TestCodec_NilUnmarshal: decoding into an optional that is nil.
    @Test func unmarshalIntoAnOptional() throws {
        var target: NestedOrder?
        #expect(target == nil)
        target = try XMLCodec().decode(NestedOrder?.self, from: Array(nested.utf8))
        #expect(target == NestedOrder(parent: .init(c: "C", b: "B", a: "A")))
    }

    @Test func registrySelectsXMLForApplicationAndTextXML() throws {
        let registry = CodecRegistry.standard
        #expect(registry.codec(forContentType: "application/xml")?.name == "xml")
        #expect(registry.codec(forContentType: "text/xml; charset=utf-8")?.name == "xml")
        #expect(registry.codec(forAccept: "text/html, text/xml;q=0.9").name == "xml")
        #expect(registry.codec(forAccept: "*/*").name == "json")
        #expect(XMLCodec().contentType == "application/xml")
    }

    @Test func messagesAreWrittenFromTheirProtoJSON() throws {
        let reply = Kratos_Test_V1_HelloReply.with { $0.message = "Hello <kratos> & \"friends\" 'all'" }
        #expect(string(try XMLCodec().encode(reply))
            == "<HelloReply><message>Hello &lt;kratos&gt; &amp; &quot;friends&quot; &apos;all&apos;</message></HelloReply>")
        let emptyXML = string(try XMLCodec().encode(Kratos_Test_V1_HelloReply()))
        // Zero values are written, as Go's encoding/xml writes a struct's fields.
        #expect(emptyXML == "<HelloReply><message></message></HelloReply>", "\(emptyXML)")
        let everything = Everything.with {
            $0.name = "n"
            $0.big = 9
            $0.flag = true
            $0.color = .green
            $0.tags = ["a", "b"]
            $0.page = .with { $0.size = 1 }
            $0.labels = ["env": "prod", "a b": "c"]
            $0.pages = [1: .with { $0.size = 2 }]
            $0.userID = "u"
        }
        let everythingXML = string(try XMLCodec().encode(everything))
        #expect(everythingXML == "<Everything><name>n</name><count>0</count><big>9</big><small>0</small><ratio>0</ratio>"
            + "<flag>true</flag><blob></blob><color>GREEN</color><tags>a</tags><tags>b</tags><page><size>1</size><token></token></page>"
            + "<labels><entry><key>a b</key><value>c</value></entry><env>prod</env></labels>"
            + "<pages><entry><key>1</key><value><size>2</size><token></token></value></entry></pages><userId>u</userId>"
            + "<mapInt64Key></mapInt64Key><price>0</price><total>0</total><numberOne></numberOne></Everything>", "\(everythingXML)")
    }

    @Test func messagesRoundTrip() throws {
        let everything = Everything.with {
            $0.name = " a & <b> \"c\" 'd'\r\n\tend "
            $0.count = -3
            $0.big = Int64.max
            $0.small = UInt32.max
            $0.ratio = 1.5
            $0.flag = true
            $0.blob = Data([0, 1, 2, 255])
            $0.color = .red
            $0.tags = ["x", "", "y"]
            $0.ids = [1, -2, Int64.min]
            $0.colors = [.green, .red]
            $0.page = .with { $0.size = 3; $0.token = "t"; $0.next = .with { $0.size = 4 } }
            $0.labels = ["env": "prod", "a b": "c", "entry": "e", "1": "one", "ünï": "u"]
            $0.pages = [1: .with { $0.size = 2 }, 10: .with { $0.token = "ten" }]
            $0.at = Google_Protobuf_Timestamp(seconds: 1_700_000_000, nanos: 5_000_000)
            $0.wait = Google_Protobuf_Duration(seconds: 90)
            $0.nickname = .with { $0.value = "" }
            $0.limit = .with { $0.value = 5 }
            $0.enabled = .with { $0.value = false }
            $0.mask = .with { $0.paths = ["user_id", "page.size"] }
            $0.userID = "u1"
            $0.note = ""
            $0.text = "t"
        }
        let codec = XMLCodec()
        #expect(try codec.decode(Everything.self, from: try codec.encode(everything)) == everything)
        #expect(try codec.decode(Everything.self, from: try codec.encode(message: everything)) == everything)
        #expect(try codec.decode(Everything.self, from: try codec.encode(Everything())) == Everything())
    }

    /// What a client may send: a declaration, comments, CDATA, entities, attributes, prefixes,
    /// proto names, spaced numbers, unknown elements.
    @Test func textXMLIsDecodedLeniently() throws {
        let body = """
            <?xml version="1.0" encoding="UTF-8"?>
            <!-- a request -->
            <ns:Request xmlns:ns="urn:x" id='7'>
              <name><![CDATA[<raw> & ]]>&amp;&#65;&#x42;&lt;</name>
              <count> 12 </count>
              <flag>1</flag>
              <color>2</color>
              <user_id>u</user_id>
              <unknown><deep>x</deep></unknown>
              <tags>a</tags><?pi skipped?><tags>b</tags>
              <ids>5</ids>
              <page><next><size>8</size></next></page>
              <labels><k>v</k></labels>
              <labels><entry><key>x y</key><value>z</value></entry></labels>
              <enabled>true</enabled>
              <ratio></ratio>
            </ns:Request>
            """
        let codec = try #require(CodecRegistry.standard.codec(forContentType: "text/xml"))
        let decoded = try codec.decode(Everything.self, from: Array(body.utf8))
        #expect(decoded == Everything.with {
            $0.name = "<raw> & &AB<"
            $0.count = 12
            $0.flag = true
            $0.color = .green
            $0.userID = "u"
            $0.tags = ["a", "b"]
            $0.ids = [5]
            $0.page = .with { $0.next = .with { $0.size = 8 } }
            $0.labels = ["k": "v", "x y": "z"]
            $0.enabled = .with { $0.value = true }
        })
    }

    @Test func codableRoundTrip() throws {
        let shelf = Shelf(name: " a & b\r\n<c> ", count: -7, ratio: 0.25, open: true, tags: ["x", "y"], empty: [], note: "",
                          missing: nil, labels: ["ok": "1", "a b": "2", "entry": "3", "": "4"], blob: Data([9, 8, 7]),
                          books: [.init(title: "Dune", pages: 412)])
        let xml = try XMLCodec().encode(shelf)
        #expect(string(xml).hasPrefix("<Shelf><name> a &amp; b&#xD;\n&lt;c&gt; </name><count>-7</count><ratio>0.25</ratio><open>true</open>"))
        #expect(try XMLCodec().decode(Shelf.self, from: xml) == shelf)
    }

    @Test func valuesXMLCannotHoldAreRefusedOrReplaced() throws {
        let error = #expect(throws: KratosError.self) { try XMLCodec().encode(Plain(V: [[1, 2], [3]])) }
        #expect(error?.code == 500 && error?.reason == "CODEC")
        #expect(string(try XMLCodec().encode(Plain(V: "nul\u{0}bell\u{7}"))) == "<Plain><V>nul\u{FFFD}bell\u{FFFD}</V></Plain>")
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let depth = XMLDocumentReader.maxDepth
        let body = String(repeating: "<a>", count: depth) + String(repeating: "</a>", count: depth)
        #expect(try XMLDocumentReader.parse(Array(body.utf8)).name == "a")
    }

    func expectCodecError<T>(_ type: T.Type, _ body: [UInt8], _ message: String = "invalid XML body: ",
                             sourceLocation: SourceLocation = #_sourceLocation) {
        let error = #expect(throws: KratosError.self, sourceLocation: sourceLocation) { try XMLCodec().decode(type, from: body) }
        #expect(error?.code == 400 && error?.reason == "CODEC", sourceLocation: sourceLocation)
        #expect(error?.message.hasPrefix("invalid XML body: ") == true, sourceLocation: sourceLocation)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")", sourceLocation: sourceLocation)
    }

    @Test(arguments: [
        ("<a><b></a></b>", "</a> does not close <b> at line 1, column 7"),
        ("<!DOCTYPE a [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><a>&x;</a>", "DOCTYPE is not accepted at line 1, column 1"),
        ("<a><b>text", "<b> is not closed at line 1, column 4"),
        ("<a>\n  <b>", "<b> is not closed at line 2, column 3"),
        (String(repeating: "<a>", count: 101) + String(repeating: "</a>", count: 101), "nested deeper than 100 at line 1, column 301"),
        ("<a>&foo;</a>", "unknown entity &foo;"),
        ("<a>&#0;</a>", "invalid character reference &#0;"),
        ("<a>AT&T</a>", "& not starting"),
        ("<a><!-- open</a>", "comment is not closed"),
        ("<a><![CDATA[x</a>", "CDATA section is not closed"),
        ("<a/><b/>", "a second root element"),
        ("<a/>tail", "text after the root element"),
        ("", "no root element"),
        ("<a x=1/>", "expected a quoted attribute value"),
        ("<a>\u{1}</a>", "control character"),
        ("<Book><pages>many</pages></Book>", "invalid XML body: "),
    ])
    func badBodiesAreCodecErrors(body: String, message: String) {
        expectCodecError(Kratos_Test_V1_Book.self, Array(body.utf8), message)
    }

    @Test func badValuesAreCodecErrors() {
        expectCodecError(Everything.self, Array("<E><flag>yes</flag></E>".utf8), "<flag>: \"yes\" is not a bool")
        expectCodecError(Plain<Int>.self, Array("<Plain><V>4.5</V></Plain>".utf8), "V: \"4.5\" is not Int")
        expectCodecError(Plain<Bool>.self, Array("<Plain></Plain>".utf8), "V: no element for Bool")
        expectCodecError(Plain<Int>.self, [0x3C, 0x61, 0x3E, 0xFF, 0x3C, 0x2F, 0x61, 0x3E], "not UTF-8")
    }
}
