import Foundation
import SwiftProtobuf
import Testing
@testable import Kratos
import KratosTestSupport

/// The JSON codec's own protojson writer must give SwiftProtobuf's bytes exactly, for the
/// messages it writes itself and for those it hands back to SwiftProtobuf.
@Suite struct ProtoJSONWriterTests {
    typealias Everything = Kratos_Test_V1_Everything
    typealias Book = Kratos_Test_V1_Book

    func expectSameAsSwiftProtobuf<M: SwiftProtobuf.Message>(_ message: M, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ours = try JSONCodec().encode(message: message)
        let theirs: [UInt8] = try message.jsonUTF8Bytes()
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: theirs, as: UTF8.self), sourceLocation: sourceLocation)
    }

    /// `message` through the writer alone (no fallback), next to SwiftProtobuf's protojson.
    func expectWrittenHere<M: SwiftProtobuf.Message>(_ message: M, sourceLocation: SourceLocation = #_sourceLocation) throws {
        var visitor = ProtoJSONWriter.Visitor(keys: try #require(ProtoJSONWriter.Keys.make(for: M.self)))
        try visitor.write(message)
        let theirs: [UInt8] = try message.jsonUTF8Bytes()
        #expect(String(decoding: visitor.bytes, as: UTF8.self) == String(decoding: theirs, as: UTF8.self), sourceLocation: sourceLocation)
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
        let message = Everything.with { $0.userID = "u" }
        #expect(String(decoding: try codec.encode(message: message), as: UTF8.self) == #"{"user_id":"u"}"#)
    }
}
