import Testing
@testable import Kratos

/// The string formats of the well-known string rules, checked by hand in `Validation`.
@Suite struct ValidationFormatTests {
    @Test(arguments: [
        ("a@b.co", true), ("first.last+tag@example.com", true), ("x@localhost", true), ("o'hara@ex-ample.org", true),
        ("", false), ("plain", false), ("a@", false), ("@b.co", false), ("a@b@c.co", false), ("a b@c.co", false),
        ("a@-b.co", false), ("a@b-.co", false), ("a@b..co", false), ("ü@b.co", false), ("a@\(String(repeating: "x", count: 64)).co", false),
    ])
    func email(text: String, valid: Bool) {
        #expect(Validation.isEmail(text) == valid, "\(text)")
    }

    @Test(arguments: [
        ("example.com", true), ("example.com.", true), ("a-b.c1", true), ("localhost", true), ("x", true), ("EXAMPLE.com", true),
        ("", false), (".", false), ("a..b", false), ("-a.com", false), ("a-.com", false), ("a_b.com", false), ("example.123", false),
        ("\(String(repeating: "a", count: 64)).com", false), (Array(repeating: "abcdefghi", count: 26).joined(separator: "."), false),
    ])
    func hostname(text: String, valid: Bool) {
        #expect(Validation.isHostname(text) == valid, "\(text)")
    }

    @Test(arguments: [
        ("127.0.0.1", true, false), ("0.0.0.0", true, false), ("255.255.255.255", true, false),
        ("256.0.0.1", false, false), ("1.2.3", false, false), ("1.2.3.4.5", false, false), ("01.2.3.4", false, false), ("1.2.3.a", false, false),
        ("::", false, true), ("::1", false, true), ("1::", false, true), ("2001:db8::ff00:42:8329", false, true),
        ("2001:0db8:0000:0000:0000:ff00:0042:8329", false, true), ("::ffff:192.0.2.1", false, true), ("fe80::1%eth0", false, true),
        (":::", false, false), ("1:2:3:4:5:6:7:8:9", false, false), ("1::2::3", false, false), ("12345::", false, false),
        ("1:2:3:4:5:6:7", false, false), ("::1%", false, false), ("1.2.3.4::", false, false), ("", false, false),
    ])
    func ipAddresses(text: String, v4: Bool, v6: Bool) {
        #expect(Validation.isIPv4(text) == v4, "\(text)")
        #expect(Validation.isIPv6(text) == v6, "\(text)")
        #expect(Validation.isIP(text) == (v4 || v6), "\(text)")
    }

    @Test(arguments: [
        ("https://example.com", true), ("https://user:pw@example.com:8080/a/b?q=1&r=%20#frag", true), ("mailto:a@b.co", true),
        ("urn:isbn:0451450523", true), ("file:///etc/hosts", true), ("http://[::1]:80/", true), ("http://[fe80::1%25eth0]/", true),
        ("http://[v1.x]/", true), ("a+b.c-d:x", true), ("http://1.2.3.4/", true),
        ("", false), ("example.com", false), ("/relative/path", false), ("1http://x", false), ("http://exa mple.com", false),
        ("http://example.com/%zz", false), ("http://example.com/#a#b", false), ("http://[::1/", false), ("http://x:8a/", false),
        ("http://ü.com", false), ("http://[1.2.3.4]/", false),
    ])
    func uri(text: String, valid: Bool) {
        #expect(Validation.isURI(text) == valid, "\(text)")
    }

    @Test func uuids() {
        #expect(Validation.isUUID("123e4567-e89b-12d3-a456-426614174000"))
        #expect(Validation.isUUID("123E4567-E89B-12D3-A456-426614174000"))
        #expect(!Validation.isUUID("123e4567e89b12d3a456426614174000"))
        #expect(!Validation.isUUID("123e4567-e89b-12d3-a456-42661417400g"))
        #expect(!Validation.isUUID("123e4567-e89b-12d3-a456_426614174000"))
        #expect(Validation.isTrimmedUUID("123e4567e89b12d3a456426614174000"))
        #expect(!Validation.isTrimmedUUID("123e4567-e89b-12d3-a456-426614174000"))
        #expect(Validation.isAddress("example.com") && Validation.isAddress("::1") && !Validation.isAddress("not an address"))
    }

    /// Strings compare by their bytes: canonically equivalent spellings differ, as in protovalidate.
    @Test func stringsCompareByTheirBytes() {
        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        #expect(composed == decomposed)
        #expect(!Validation.equals(composed, decomposed))
        #expect(!Validation.isIn(composed, [decomposed]))
        #expect(Validation.contains(decomposed, "e") && !Validation.contains(composed, "e"))
        #expect(Validation.hasPrefix(decomposed, "cafe") && !Validation.hasPrefix(composed, "cafe"))
        #expect(Validation.hasSuffix(decomposed, "\u{301}") && Validation.contains("abc", ""))
        #expect(Validation.isUnique([composed, decomposed]) && !Validation.isUnique(["a", "b", "a"]))
    }

    @Test func patternsMatchUnicodeScalarsAnywhereUnlessAnchored() {
        #expect(Validation.Pattern("b").matches("abc"))
        #expect(!Validation.Pattern("^b").matches("abc"))
        #expect(!Validation.Pattern("^abc$").matches("abc\n"))
        #expect(!Validation.Pattern("^.$").matches("e\u{301}"))
        #expect(Validation.Pattern("^..$").matches("e\u{301}"))
        #expect(!Validation.Pattern("(").matches("("))
    }

    @Test func timestampsWithinADurationOfNow() {
        let now = Validation.now()
        #expect(Validation.isWithin(.init(seconds: now.seconds - 59, nanos: now.nanos), seconds: 60, nanos: 0))
        #expect(Validation.isWithin(.init(seconds: now.seconds + 59, nanos: now.nanos), seconds: 60, nanos: 0))
        #expect(!Validation.isWithin(.init(seconds: now.seconds - 61, nanos: now.nanos), seconds: 60, nanos: 0))
        #expect(!Validation.isWithin(.init(seconds: now.seconds + 120, nanos: 0), seconds: 60, nanos: 0))
    }

    /// Lengths count Unicode scalars, as `unicodeScalars.count` does, whatever the bytes per scalar.
    @Test(arguments: ["", "kratos", "é", "e\u{301}", "日本語", "👍🏽", "a\u{0}b", String(repeating: "ü", count: 100)])
    func lengthCountsUnicodeScalars(_ text: String) {
        #expect(Validation.length(text) == text.unicodeScalars.count)
    }
}
