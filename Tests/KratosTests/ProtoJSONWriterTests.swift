import Foundation
import SwiftProtobuf
import Testing
@testable import Kratos
import KratosTestSupport

/// The JSON codec's own protojson writer must give the fallback's bytes exactly — SwiftProtobuf's
/// protojson, with go-kratos's unpopulated fields added by ``UnpopulatedFields`` — for the
/// messages it writes itself and for those it hands to the fallback; and, with `emitUnpopulated`
/// off, SwiftProtobuf's bytes alone.
@Suite struct ProtoJSONWriterTests {
    typealias Everything = Kratos_Test_V1_Everything
    typealias Book = Kratos_Test_V1_Book

    func text(_ bytes: [UInt8]) -> String { String(decoding: bytes, as: UTF8.self) }

    func expectSameAsSwiftProtobuf<M: SwiftProtobuf.Message>(_ message: M, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(text(try JSONCodec().encode(message: message)) == text(try ProtoJSONWriter.fallback(message, emitUnpopulated: true)),
                sourceLocation: sourceLocation)
        var sparse = JSONCodec()
        sparse.emitUnpopulated = false
        #expect(text(try sparse.encode(message: message)) == text(try message.jsonUTF8Bytes()), sourceLocation: sourceLocation)
    }

    /// `message` through the writer alone (no fallback), next to the fallback's protojson.
    func expectWrittenHere<M: SwiftProtobuf.Message>(_ message: M, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let keys = try #require(ProtoJSONWriter.Keys.make(for: M.self))
        var full = ProtoJSONWriter.Visitor(keys: keys, emitUnpopulated: true)
        try full.write(message)
        #expect(text(full.bytes) == text(try ProtoJSONWriter.fallback(message, emitUnpopulated: true)), sourceLocation: sourceLocation)
        var sparse = ProtoJSONWriter.Visitor(keys: keys)
        try sparse.write(message)
        #expect(text(sparse.bytes) == text(try message.jsonUTF8Bytes()), sourceLocation: sourceLocation)
    }

    @Test func plainMessagesAreWrittenHereWithSwiftProtobufsBytes() throws {
        try expectSameAsSwiftProtobuf(Kratos_Test_V1_HelloReply.with { $0.message = "Hello kratos" })
        try expectSameAsSwiftProtobuf(Kratos_Test_V1_HelloReply())
        try expectSameAsSwiftProtobuf(Book.with { $0.id = "b1"; $0.title = "Dune"; $0.pages = -412 })
        try expectSameAsSwiftProtobuf(Kratos_Test_V1_UpdateBookRequest.with {
            $0.shelf = "s1"
            $0.book = Book.with { $0.id = "b9"; $0.pages = Int32.max }
            $0.validateOnly = true
        })
        try expectSameAsSwiftProtobuf(Kratos_Test_V1_UpdateBookRequest.with { $0.book = Book() })
        try expectWrittenHere(Book.with { $0.id = "b1"; $0.title = "Dune"; $0.pages = -412 })
        #expect(ProtoJSONWriter.Keys.of(Book.self) != nil)
        #expect(ProtoJSONWriter.Keys.of(Kratos_Test_V1_UpdateBookRequest.self) != nil)
    }

    @Test func stringsAreEscapedAsSwiftProtobufEscapesThem() throws {
        let tricky = "quote\" back\\ slash/ nl\n tab\t cr\r ff\u{0C} bs\u{08} nul\u{00} ctl\u{1F} del\u{7F} c1\u{80}\u{85}\u{9F} "
            + "latin é\u{A0} cjk 漢字 emoji 🙂 separators \u{2028}\u{2029} <html>&"
        try expectWrittenHere(Kratos_Test_V1_HelloReply.with { $0.message = tricky })
        try expectSameAsSwiftProtobuf(Kratos_Test_V1_HelloReply.with { $0.message = tricky })
    }

    @Test func integersRepeatedFieldsOneofsAndJSONNames() throws {
        try expectWrittenHere(Everything.with {
            $0.name = "n"
            $0.count = Int32.min
            $0.big = Int64.min
            $0.small = UInt32.max
            $0.flag = true
            $0.tags = ["a", "b\"c", ""]
            $0.ids = [0, -1, Int64.max]
            $0.page = .with { $0.size = 3; $0.token = "t"; $0.next = .with { $0.size = 4 } }
            $0.userID = "u1"
            $0.note = ""
            $0.number = 0
        })
    }

    @Test func fieldsItDoesNotWriteGoToSwiftProtobuf() throws {
        try expectSameAsSwiftProtobuf(Everything.with { $0.ratio = 0.1; $0.name = "r" })
        try expectSameAsSwiftProtobuf(Everything.with { $0.blob = Data([0, 1, 254, 255]) })
        try expectSameAsSwiftProtobuf(Everything.with { $0.color = .green; $0.colors = [.red, .green] })
        try expectSameAsSwiftProtobuf(Everything.with { $0.labels = ["b": "2", "a": "1"] })
        try expectSameAsSwiftProtobuf(Everything.with {
            $0.at = Google_Protobuf_Timestamp(seconds: 1, nanos: 5)
            $0.wait = Google_Protobuf_Duration(seconds: 2)
            $0.nickname = Google_Protobuf_StringValue("nick")
            $0.mask = Google_Protobuf_FieldMask(protoPaths: ["user_id", "page.size"])
        })
        try expectSameAsSwiftProtobuf(Google_Protobuf_Timestamp(seconds: 1_700_000_000))
        // Once a type needed SwiftProtobuf, it goes there directly, with the same bytes.
        #expect(ProtoJSONWriter.Keys.of(Everything.self) == nil)
        try expectSameAsSwiftProtobuf(Everything.with { $0.name = "again" })
    }

    @Test func customOptionsAreSwiftProtobufs() throws {
        var codec = JSONCodec()
        codec.encodingOptions.preserveProtoFieldNames = true
        codec.emitUnpopulated = false
        let message = Everything.with { $0.userID = "u" }
        #expect(text(try codec.encode(message: message)) == #"{"user_id":"u"}"#)
        codec.emitUnpopulated = true
        #expect(text(try codec.encode(message: Kratos_Test_V1_UpdateBookRequest.with { $0.shelf = "s" }))
                == #"{"shelf":"s","book":null,"validate_only":false}"#)
    }

    /// go-kratos's JSON codec is protojson with EmitUnpopulated (encoding/json/json_test.go,
    /// TestJSON_Marshal in v2, encoding/protojson TestCodec in v3: `{"id":"1","name":"go-kratos",
    /// "hobby":["1","2"],"attrs":{}}`): zero scalars, `"0"` for 64-bit integers, the enum's zero
    /// name, `[]`, `{}`, `null` for unset messages; proto3 `optional` and oneof members left out.
    @Test func unpopulatedFieldsAreWrittenAsGoKratosWritesThem() throws {
        #expect(text(try JSONCodec().encode(message: Kratos_Test_V1_HelloReply())) == #"{"message":""}"#)
        #expect(text(try JSONCodec().encode(message: Book.with { $0.id = "1"; $0.title = "go-kratos" }))
                == #"{"id":"1","title":"go-kratos","pages":0}"#)
        #expect(text(try JSONCodec().encode(message: Kratos_Test_V1_UpdateBookRequest.with { $0.book = Book() }))
                == #"{"shelf":"","book":{"id":"","title":"","pages":0},"validateOnly":false}"#)
        let everything = text(try JSONCodec().encode(message: Everything()))
        #expect(everything == #"{"name":"","count":0,"big":"0","small":0,"ratio":0,"flag":false,"blob":"","#
                + #""color":"COLOR_UNSPECIFIED","tags":[],"ids":[],"colors":[],"page":null,"labels":{},"pages":{},"at":null,"#
                + #""wait":null,"nickname":null,"limit":null,"enabled":null,"mask":null,"userId":"","data":null,"dataList":[],"#
                + #""value":null,"list":null,"mapInt64Key":{},"price":0,"total":"0","raw":null,"precise":null,"pagesList":[],"#
                + #""numberOne":""}"#)
        // Decoding takes it back (protojson reads null into a Value as NullValue, in Go too), and
        // still ignores unknown fields.
        let decoded = try JSONCodec().decode(Everything.self, from: Array((everything.dropLast() + #","unknown":1}"#).utf8))
        #expect(decoded == Everything.with { $0.value = .with { $0.nullValue = .nullValue } })
    }

    @Test func unpopulatedFieldsInsideNestedRepeatedAndMapMessages() throws {
        try expectSameAsSwiftProtobuf(Everything.with {
            $0.color = .red
            $0.page = .with { $0.next = .with { $0.token = "t" } }
            $0.pages = [3: .with { $0.size = 1 }, 4: Everything.Page()]
            $0.pagesList = [.with { $0.token = "a" }, Everything.Page()]
            $0.note = ""
            $0.text = ""
            $0.value = Google_Protobuf_Value(stringValue: "v")
        })
        try expectWrittenHere(Kratos_Test_V1_UpdateBookRequest.with { $0.book = .with { $0.pages = 3 } })
        try expectWrittenHere(Kratos_Test_V1_UpdateBookRequest())
        // Well-known types keep their own JSON: an empty Struct is {}, an Empty is {}.
        try expectSameAsSwiftProtobuf(Google_Protobuf_Struct())
        try expectSameAsSwiftProtobuf(Google_Protobuf_Empty())
    }
}
