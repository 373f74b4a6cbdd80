@testable import KratosGRPC
import NIOCore
import Testing

/// The HPACK decoder against RFC 7541's examples (Appendix C), the Huffman code as a whole,
/// and blocks a hostile peer could send: each of those a thrown error, never a trap.
@Suite struct HPACKDecoderTests {
    typealias Failure = HPACKDecoder.Failure

    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.filter { !$0.isWhitespace })
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16) ?? 0 }
    }

    static func decode(_ hex: String, with decoder: inout HPACKDecoder) throws(Failure) -> [String] {
        try decoder.decode(ByteBuffer(bytes: bytes(hex))).map { "\($0.name): \($0.value)" }
    }

    /// What a block fails with on a fresh decoder; nil when it decodes.
    static func failure(_ bytes: [UInt8], maxHeaderListSize: Int = 16_384) -> Failure? {
        var decoder = HPACKDecoder(maxHeaderListSize: maxHeaderListSize)
        do {
            _ = try decoder.decode(ByteBuffer(bytes: bytes))
            return nil
        } catch {
            return error
        }
    }

    static func entries(_ decoder: HPACKDecoder) -> [String] {
        (0..<decoder.table.count).compactMap { decoder.table.entry($0) }.map { "\($0.name): \($0.value)" }
    }

    // MARK: RFC 7541 Appendix C

    @Test func literalAndIndexedFields() throws {  // C.2
        var decoder = HPACKDecoder(maxHeaderListSize: 16_384)
        #expect(try Self.decode("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", with: &decoder)
            == ["custom-key: custom-header"])
        #expect(decoder.table.size == 55 && Self.entries(decoder) == ["custom-key: custom-header"])
        decoder = HPACKDecoder(maxHeaderListSize: 16_384)
        #expect(try Self.decode("040c 2f73 616d 706c 652f 7061 7468", with: &decoder) == [":path: /sample/path"])
        #expect(try Self.decode("1008 7061 7373 776f 7264 0673 6563 7265 74", with: &decoder) == ["password: secret"])
        #expect(try Self.decode("82", with: &decoder) == [":method: GET"])
        #expect(decoder.table.count == 0 && decoder.table.size == 0)
    }

    static let requests = [":method: GET", ":scheme: http", ":path: /", ":authority: www.example.com"]
    static let thirdRequest = [":method: GET", ":scheme: https", ":path: /index.html", ":authority: www.example.com",
                               "custom-key: custom-value"]

    @Test(arguments: [
        // C.3: strings as they are.
        ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 84be 5808 6e6f 2d63 6163 6865",
         "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65"],
        // C.4: Huffman-coded.
        ["8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff", "8286 84be 5886 a8eb 1064 9cbf",
         "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf"],
    ])
    func requestsOnOneConnection(_ blocks: [String]) throws {
        var decoder = HPACKDecoder(maxHeaderListSize: 16_384)
        #expect(try Self.decode(blocks[0], with: &decoder) == Self.requests)
        #expect(decoder.table.size == 57 && Self.entries(decoder) == [":authority: www.example.com"])
        #expect(try Self.decode(blocks[1], with: &decoder) == Self.requests + ["cache-control: no-cache"])
        #expect(decoder.table.size == 110 && Self.entries(decoder) == ["cache-control: no-cache", ":authority: www.example.com"])
        #expect(try Self.decode(blocks[2], with: &decoder) == Self.thirdRequest)
        #expect(decoder.table.size == 164
            && Self.entries(decoder) == ["custom-key: custom-value", "cache-control: no-cache", ":authority: www.example.com"])
    }

    static let date1 = "date: Mon, 21 Oct 2013 20:13:21 GMT"
    static let date2 = "date: Mon, 21 Oct 2013 20:13:22 GMT"
    static let location = "location: https://www.example.com"
    static let cookie = "set-cookie: foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1"

    /// Responses with a 256-octet table: entries evicted as new ones come.
    @Test(arguments: [
        // C.5: strings as they are.
        ["4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d"
            + "546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
         "4803 3330 37c1 c0bf",
         "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f"
            + "6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630"
            + "303b 2076 6572 7369 6f6e 3d31"],
        // C.6: Huffman-coded.
        ["4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7"
            + "8f0b 97c8 e9ae 82ae 43d3",
         "4883 640e ffc1 c0bf",
         "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335"
            + "dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07"],
    ])
    func responsesEvictingOldEntries(_ blocks: [String]) throws {
        var decoder = HPACKDecoder(tableSizeLimit: 256, maxHeaderListSize: 16_384)
        #expect(try Self.decode(blocks[0], with: &decoder) == [":status: 302", "cache-control: private", Self.date1, Self.location])
        #expect(decoder.table.size == 222
            && Self.entries(decoder) == [Self.location, Self.date1, "cache-control: private", ":status: 302"])
        #expect(try Self.decode(blocks[1], with: &decoder) == [":status: 307", "cache-control: private", Self.date1, Self.location])
        #expect(decoder.table.size == 222
            && Self.entries(decoder) == [":status: 307", Self.location, Self.date1, "cache-control: private"])
        #expect(try Self.decode(blocks[2], with: &decoder)
            == [":status: 200", "cache-control: private", Self.date2, Self.location, "content-encoding: gzip", Self.cookie])
        #expect(decoder.table.size == 215 && Self.entries(decoder) == [Self.cookie, "content-encoding: gzip", Self.date2])
    }

    // MARK: The Huffman code and the table

    /// Each octet alone, and all 256 in one string, Huffman-coded from the code table and padded
    /// with ones, decode to themselves; so does a literal's Huffman-coded value.
    @Test func everyOctetDecodes() throws {
        for octet in 0...255 {
            #expect(Self.huffmanRoundTrip([UInt8(octet)]) == [UInt8(octet)])
        }
        let all = (0...255).map(UInt8.init) + Array("www.example.com/kratos.v1.Greeter/SayHello".utf8)
        #expect(Self.huffmanRoundTrip(all) == all)
        let text = Array("application/grpc+proto; kratos=1".utf8)
        var buffer = ByteBuffer(bytes: [0x00, 0x01, 0x78])  // a literal named "x"
        HeaderBlock.writeInteger(Self.huffman(text).count, prefix: 7, pattern: 0x80, into: &buffer)
        buffer.writeBytes(Self.huffman(text))
        var decoder = HPACKDecoder(maxHeaderListSize: 16_384)
        #expect(try decoder.decode(buffer).first(name: "x") == String(decoding: text, as: UTF8.self))
    }

    /// `octets` coded with ``HPACKHuffman/codes``, padded with ones.
    static func huffman(_ octets: [UInt8]) -> [UInt8] {
        var bits: [Bool] = []
        for octet in octets {
            let (code, length) = HPACKHuffman.codes[Int(octet)]
            for position in stride(from: length - 1, through: 0, by: -1) { bits.append(code >> UInt32(position) & 1 == 1) }
        }
        while bits.count % 8 != 0 { bits.append(true) }
        return stride(from: 0, to: bits.count, by: 8).map { start in
            bits[start..<start + 8].reduce(UInt8(0)) { $0 << 1 | ($1 ? 1 : 0) }
        }
    }

    static func huffmanRoundTrip(_ octets: [UInt8]) -> [UInt8]? {
        let encoded = huffman(octets)
        var out = [UInt8](repeating: 0, count: encoded.count * 8 / 5 + 1)
        let count = encoded.withUnsafeBytes { bytes in out.withUnsafeMutableBufferPointer { HPACKHuffman.decode(bytes, into: $0) } }
        return count.map { Array(out.prefix($0)) }
    }

    @Test func theBlocksWeSendDecodeToTheirFields() throws {
        let fields = HeaderList([(":status", "200"), ("content-type", "application/grpc"), ("grpc-status", "0"),
                                 ("x-long", String(repeating: "v", count: 300)), ("user-agent", "")])
        var buffer = ByteBuffer(bytes: [0xFF, 0xFF])  // read from past the buffer's start
        buffer.moveReaderIndex(forwardBy: 2)
        HeaderBlock.write(fields, into: &buffer)
        var decoder = HPACKDecoder(maxHeaderListSize: 16_384)
        #expect(try decoder.decode(buffer).fields.map { "\($0.name)=\($0.value)" } == fields.fields.map { "\($0.name)=\($0.value)" })
        #expect(decoder.table.count == 0)
    }

    /// §4.4: an entry larger than the table empties it and is not added, yet is a field of the block.
    @Test func tableSizeUpdatesAndOversizedEntries() throws {
        var decoder = HPACKDecoder(maxHeaderListSize: 16_384)
        // Size 64 (5-bit prefix: 31 + 33), then a 55-octet entry.
        _ = try Self.decode("3f21 400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572", with: &decoder)
        #expect(decoder.table.maxSize == 64 && decoder.table.count == 1)
        // An entry of 1 + 40 + 32 octets: over 64.
        let big = try decoder.decode(ByteBuffer(bytes: [0x40, 0x01, 0x78, 0x28] + Array(repeating: 0x61, count: 40)))
        #expect(big.first(name: "x")?.utf8.count == 40 && decoder.table.count == 0 && decoder.table.size == 0)
        // Two updates in a row at the start (0, then the limit exactly) are allowed.
        _ = try Self.decode("20 3fe1 1f 4001 7801 79", with: &decoder)
        #expect(decoder.table.maxSize == 4096 && Self.entries(decoder) == ["x: y"])
        // An update to 0 evicts every entry.
        #expect(throws: Failure.invalidIndex(62)) { try Self.decode("20 be", with: &decoder) }
    }

    // MARK: Hostile blocks

    @Test func malformedBlocksAreErrors() {
        #expect(Self.failure([0xFF]) == .truncated)  // an integer cut after its prefix
        #expect(Self.failure([0xFF, 0x80]) == .truncated)  // … and after a continuation octet
        #expect(Self.failure([0xFF] + Array(repeating: 0x80, count: 10) + [0x01]) == .integerTooLarge)
        #expect(Self.failure([0x80]) == .invalidIndex(0))
        #expect(Self.failure([0xBE]) == .invalidIndex(62))  // past the static table, dynamic table empty
        #expect(Self.failure([0x7E, 0x01, 0x61]) == .invalidIndex(62))  // a literal's name index
        #expect(Self.failure([0xFF, 0xFF, 0xFF, 0xFF, 0x07]) == .invalidIndex(0xFF_FFFF + 127))
        #expect(Self.failure([0x00, 0x05, 0x61]) == .truncated)  // a string past the block
        #expect(Self.failure([0x00, 0x01, 0x61]) == .truncated)  // a literal without its value
        #expect(Self.failure([0x00, 0x7F, 0xFF, 0xFF, 0xFF, 0x7F]) == .truncated)  // a length of nearly 2^28
        // The limit we advertised is 4096: 4097 is over it.
        #expect(Self.failure([0x3F, 0xE2, 0x1F]) == .tableSizeOverLimit(4097, limit: 4096))
        #expect(Self.failure([0x3F, 0xE1, 0x1F]) == nil)
        #expect(Self.failure([0x82, 0x20]) == .misplacedTableSizeUpdate)
    }

    @Test func badHuffmanIsAnError() {
        // "a" is 00011: padded with ones it is 0x1F.
        #expect(Self.failure([0x00, 0x81, 0x1F, 0x80]) == nil)
        #expect(Self.failure([0x00, 0x81, 0x18, 0x80]) == .invalidHuffman)  // padding not ones
        #expect(Self.failure([0x00, 0x82, 0x1F, 0xFF, 0x80]) == .invalidHuffman)  // 11 bits of padding
        #expect(Self.failure([0x00, 0x81, 0xFF, 0x80]) == .invalidHuffman)  // 8 bits of padding
        #expect(Self.failure([0x00, 0x84, 0xFF, 0xFF, 0xFF, 0xFF, 0x80]) == .invalidHuffman)  // EOS
        #expect(Self.failure([0x00, 0x81, 0x1F, 0x85, 0x1F, 0xFF, 0xFF, 0xFF, 0xFF]) == .invalidHuffman)  // "a" then EOS
    }

    /// The header list is counted as it is decoded, so a few octets referring to a large entry
    /// again and again stop at the limit.
    @Test func aHeaderListPastTheLimitIsAnError() {
        let value = [UInt8](repeating: 0x76, count: 1000)
        // A literal entry of 1 + 1000 + 32 octets (length 1000 = 127 + 873: 0x7F, 0xE9, 0x06), then 100 references to it.
        let block: [UInt8] = [0x40, 0x01, 0x6E, 0x7F, 0xE9, 0x06] + value + Array(repeating: 0xBE, count: 100)
        #expect(Self.failure(block, maxHeaderListSize: 16_384) == .headerListTooLarge(limit: 16_384))
        #expect(Self.failure(Array(block.prefix(6 + 1000 + 14)), maxHeaderListSize: 16_384) == nil)  // 15 × 1033 octets
        #expect(Self.failure([0x00, 0x01, 0x78, 0x50] + Array(repeating: 0x61, count: 80), maxHeaderListSize: 100)
            == .headerListTooLarge(limit: 100))
    }
}
