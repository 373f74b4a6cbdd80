import Foundation
import Kratos
import KratosTestSupport
import Testing

/// One message and the violations its generated `validationViolations()` must give, exactly
/// and in order.
struct ValidationCase: Sendable, CustomTestStringConvertible {
    let name: String
    let message: any Validatable & Sendable
    let expected: [Violation]

    init(_ name: String, _ message: any Validatable & Sendable, _ expected: Violation...) {
        self.name = name
        self.message = message
        self.expected = expected
    }

    var testDescription: String { name }
}

/// A violation, briefly.
func violation(_ field: String, _ rule: String, _ message: String) -> Violation {
    Violation(field: field, rule: rule, message: message)
}

/// The code protoc-gen-kratos-validate generated from Tests/KratosTestSupport/Protos/kratos/test/v1/rules.proto
/// (committed, compiled in KratosTestSupport), against a table of valid and invalid messages.
@Suite struct ValidateTableTests {
    static var allCases: [ValidationCase] { scalarCases + structureCases }

    @Test(arguments: scalarCases)
    func scalars(_ test: ValidationCase) {
        #expect(test.message.validationViolations() == test.expected)
    }

    @Test(arguments: structureCases)
    func structure(_ test: ValidationCase) {
        #expect(test.message.validationViolations() == test.expected)
    }

    @Test func theTableIsLargeAndCoversEveryRuleItNames() {
        #expect(Self.allCases.count > 100)
        let rules = Set(Self.allCases.flatMap { $0.expected.map(\.rule) })
        for rule in ["string.const", "string.len", "string.pattern", "string.uri", "bytes.in", "int32.gt_lt_exclusive", "double.finite",
                     "enum.defined_only", "repeated.unique", "map.max_pairs", "duration.gt_lte", "timestamp.within", "any.in",
                     "required", "message.oneof"] {
            #expect(rules.contains(rule), "\(rule)")
        }
    }

    /// A message without rules, holding none, gets no conformance.
    @Test func messagesWithoutRulesGetNothing() {
        #expect(!((Kratos_Test_V1_Plain() as Any) is any Validatable))
        #expect(!((Kratos_Test_V1_HelloRequest() as Any) is any Validatable))
        #expect((Kratos_Test_V1_Holder() as Any) is any Validatable)
    }

    typealias S = Kratos_Test_V1_Strings
    typealias B = Kratos_Test_V1_Blobs
    typealias N = Kratos_Test_V1_Numbers
    typealias C = Kratos_Test_V1_Choices

    static let scalarCases: [ValidationCase] = [
        .init("no string set", S()),
        .init("const equal", S.with { $0.constValue = "kratos" }),
        .init("const differs", S.with { $0.constValue = "kratoz" }, violation("const_value", "string.const", "must equal `kratos`")),
        .init("len exact", S.with { $0.exactLen = "abc" }),
        .init("len counts scalars", S.with { $0.exactLen = "äöü" }),
        .init("len short", S.with { $0.exactLen = "ab" }, violation("exact_len", "string.len", "must be 3 characters")),
        .init("min_len short", S.with { $0.minLen = "a" }, violation("min_len", "string.min_len", "must be at least 2 characters")),
        .init("min_len enough", S.with { $0.minLen = "ab" }),
        .init("max_len long", S.with { $0.maxLen = "abcde" }, violation("max_len", "string.max_len", "must be at most 4 characters")),
        .init("max_len counts scalars", S.with { $0.maxLen = "äöüß" }),
        .init("len_bytes exact", S.with { $0.lenBytes = "äö" }),
        .init("len_bytes differs", S.with { $0.lenBytes = "abc" }, violation("len_bytes", "string.len_bytes", "must be 4 bytes")),
        .init("min_bytes two-byte scalar", S.with { $0.minBytes = "ä" }),
        .init("min_bytes short", S.with { $0.minBytes = "a" }, violation("min_bytes", "string.min_bytes", "must be at least 2 bytes")),
        .init("max_bytes long", S.with { $0.maxBytes = "äöü" }, violation("max_bytes", "string.max_bytes", "must be at most 4 bytes")),
        .init("pattern matches", S.with { $0.pattern = "abc-12" }),
        .init("pattern differs", S.with { $0.pattern = "abc-1" },
              violation("pattern", "string.pattern", "does not match regex pattern `^[a-z]+-[0-9]{2}$`")),
        .init("pattern $ is the end", S.with { $0.pattern = "abc-12\n" },
              violation("pattern", "string.pattern", "does not match regex pattern `^[a-z]+-[0-9]{2}$`")),
        .init("pattern unicode class", S.with { $0.letters = "héllo wörld" }),
        .init("pattern unicode class differs", S.with { $0.letters = "abc1" },
              violation("letters", "string.pattern", #"does not match regex pattern `^[\p{L} ]+$`"#)),
        .init("prefix", S.with { $0.prefix = "kratos" }),
        .init("prefix missing", S.with { $0.prefix = "go-kratos" }, violation("prefix", "string.prefix", "does not have prefix `kr`")),
        .init("suffix", S.with { $0.suffix = "kratos" }),
        .init("suffix missing", S.with { $0.suffix = "kratos!" }, violation("suffix", "string.suffix", "does not have suffix `os`")),
        .init("contains", S.with { $0.contains = "what" }),
        .init("contains missing", S.with { $0.contains = "wot" }, violation("contains", "string.contains", "does not contain substring `at`")),
        .init("not_contains", S.with { $0.notContains = "good" }),
        .init("not_contains found", S.with { $0.notContains = "badge" }, violation("not_contains", "string.not_contains", "contains substring `bad`")),
        .init("in", S.with { $0.inList = "a" }),
        .init("in missing", S.with { $0.inList = "c" }, violation("in_list", "string.in", #"must be in list ["a", "b"]"#)),
        .init("in compares bytes", S.with { $0.inList = "a\u{301}" }, violation("in_list", "string.in", #"must be in list ["a", "b"]"#)),
        .init("not_in", S.with { $0.notInList = "z" }),
        .init("not_in found", S.with { $0.notInList = "x" }, violation("not_in_list", "string.not_in", #"must not be in list ["x", "y"]"#)),
        .init("email", S.with { $0.email = "a@b.co" }),
        .init("email empty", S.with { $0.email = "" }, violation("email", "string.email_empty", "value is empty, which is not a valid email address")),
        .init("email invalid", S.with { $0.email = "nope" }, violation("email", "string.email", "must be a valid email address")),
        .init("email false is no rule", S.with { $0.emailOff = "nope" }),
        .init("hostname", S.with { $0.hostname = "example.com" }),
        .init("hostname invalid", S.with { $0.hostname = "-bad-" }, violation("hostname", "string.hostname", "must be a valid hostname")),
        .init("ip v6", S.with { $0.ip = "::1" }),
        .init("ip v4", S.with { $0.ip = "10.0.0.1" }),
        .init("ip invalid", S.with { $0.ip = "1.2.3" }, violation("ip", "string.ip", "must be a valid IP address")),
        .init("ipv4 given v6", S.with { $0.ipv4 = "::1" }, violation("ipv4", "string.ipv4", "must be a valid IPv4 address")),
        .init("ipv6 given v4", S.with { $0.ipv6 = "1.2.3.4" }, violation("ipv6", "string.ipv6", "must be a valid IPv6 address")),
        .init("ipv6 empty", S.with { $0.ipv6 = "" }, violation("ipv6", "string.ipv6_empty", "value is empty, which is not a valid IPv6 address")),
        .init("uri", S.with { $0.uri = "https://go-kratos.dev/docs?x=1#top" }),
        .init("uri relative", S.with { $0.uri = "go-kratos.dev" }, violation("uri", "string.uri", "must be a valid URI")),
        .init("uuid", S.with { $0.uuid = "123e4567-e89b-12d3-a456-426614174000" }),
        .init("uuid invalid", S.with { $0.uuid = "123e4567" }, violation("uuid", "string.uuid", "must be a valid UUID")),
        .init("address host", S.with { $0.address = "example.com" }),
        .init("address ip", S.with { $0.address = "1.2.3.4" }),
        .init("address invalid", S.with { $0.address = "a b" }, violation("address", "string.address", "must be a valid hostname or IP address")),
        .init("tuuid", S.with { $0.tuuid = "123e4567e89b12d3a456426614174000" }),
        .init("tuuid invalid", S.with { $0.tuuid = "123e4567-e89b-12d3-a456-426614174000" },
              violation("tuuid", "string.tuuid", "must be a valid trimmed UUID")),
        .init("1 to 64: 65", S.with { $0.name = String(repeating: "x", count: 65) }, violation("name", "string.max_len", "must be at most 64 characters")),
        .init("1 to 64: empty", S.with { $0.name = "" }, violation("name", "string.min_len", "must be at least 1 characters")),
        .init("several fields, in field order", S.with { $0.maxLen = "abcdef"; $0.minLen = "a" },
              violation("min_len", "string.min_len", "must be at least 2 characters"), violation("max_len", "string.max_len", "must be at most 4 characters")),

        .init("no bytes set", B()),
        .init("bytes const", B.with { $0.constValue = Data([1, 2]) }),
        .init("bytes const differs", B.with { $0.constValue = Data([1]) }, violation("const_value", "bytes.const", "must be 0102")),
        .init("bytes len", B.with { $0.exactLen = Data([1]) }, violation("exact_len", "bytes.len", "must be 2 bytes")),
        .init("bytes min_len", B.with { $0.minLen = Data() }, violation("min_len", "bytes.min_len", "must be at least 1 bytes")),
        .init("bytes max_len", B.with { $0.maxLen = Data([1, 2, 3, 4]) }, violation("max_len", "bytes.max_len", "must be at most 3 bytes")),
        .init("bytes pattern", B.with { $0.pattern = Data("abc".utf8) }),
        .init("bytes pattern differs", B.with { $0.pattern = Data("ABC".utf8) }, violation("pattern", "bytes.pattern", "must match regex pattern `^[a-z]+$`")),
        .init("bytes pattern not UTF-8", B.with { $0.pattern = Data([0xFF]) }, violation("pattern", "bytes.pattern", "must match regex pattern `^[a-z]+$`")),
        .init("bytes prefix", B.with { $0.prefix = Data([1, 9]) }),
        .init("bytes prefix missing", B.with { $0.prefix = Data([9]) }, violation("prefix", "bytes.prefix", "does not have prefix 01")),
        .init("bytes suffix", B.with { $0.suffix = Data([1, 0xFF]) }),
        .init("bytes suffix missing", B.with { $0.suffix = Data([0xFF, 1]) }, violation("suffix", "bytes.suffix", "does not have suffix ff")),
        .init("bytes contains", B.with { $0.contains = Data([9, 0, 1, 9]) }),
        .init("bytes contains missing", B.with { $0.contains = Data([1, 0]) }, violation("contains", "bytes.contains", "does not contain 0001")),
        .init("bytes in", B.with { $0.inList = Data([2]) }),
        .init("bytes in missing", B.with { $0.inList = Data([3]) }, violation("in_list", "bytes.in", "must be in list [01, 02]")),
        .init("bytes not_in", B.with { $0.notInList = Data([0]) }, violation("not_in_list", "bytes.not_in", "must not be in list [00]")),
        .init("bytes ip 4", B.with { $0.ip = Data(count: 4) }),
        .init("bytes ip 16", B.with { $0.ip = Data(count: 16) }),
        .init("bytes ip 5", B.with { $0.ip = Data(count: 5) }, violation("ip", "bytes.ip", "must be a valid IP address")),
        .init("bytes ip empty", B.with { $0.ip = Data() }, violation("ip", "bytes.ip_empty", "value is empty, which is not a valid IP address")),
        .init("bytes ipv4 16", B.with { $0.ipv4 = Data(count: 16) }, violation("ipv4", "bytes.ipv4", "must be a valid IPv4 address")),
        .init("bytes ipv6 4", B.with { $0.ipv6 = Data(count: 4) }, violation("ipv6", "bytes.ipv6", "must be a valid IPv6 address")),
        .init("bytes uuid", B.with { $0.uuid = Data(count: 16) }),
        .init("bytes uuid 15", B.with { $0.uuid = Data(count: 15) }, violation("uuid", "bytes.uuid", "must be a valid UUID")),
    ] + numberCases + choiceCases
}
