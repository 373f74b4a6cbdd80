import Foundation
import Kratos
import KratosTestSupport
import SwiftProtobuf

/// Repeated fields and maps, well-known types, presence, `required`, `ignore`, oneofs and nested
/// messages. Repeated fields, maps and fields without presence are always validated, so these
/// cases start from a valid message and change one thing.
extension ValidateTableTests {
    typealias Item = Kratos_Test_V1_Item
    static let named = Item.with { $0.name = "x" }

    static func collections(_ change: (inout Kratos_Test_V1_Collections) -> Void) -> Kratos_Test_V1_Collections {
        var message = Kratos_Test_V1_Collections.with { $0.tags = ["ab"]; $0.labels = ["ab": 1] }
        change(&message)
        return message
    }

    static func wellKnown(_ change: (inout Kratos_Test_V1_WellKnown) -> Void) -> Kratos_Test_V1_WellKnown {
        var message = Kratos_Test_V1_WellKnown.with { $0.item = named; $0.wait = .init(seconds: 1) }
        change(&message)
        return message
    }

    static func presence(_ change: (inout Kratos_Test_V1_Presence) -> Void) -> Kratos_Test_V1_Presence {
        var message = Kratos_Test_V1_Presence.with {
            $0.plain = "abc"; $0.needed = "x"; $0.count = 1; $0.chosen = 0; $0.list = ["x"]; $0.email = "a@b.co"
            $0.strict = "abc"; $0.left = "ab"; $0.agreed = true
        }
        change(&message)
        return message
    }

    static func seconds(_ seconds: Int64, _ nanos: Int32 = 0) -> Google_Protobuf_Duration { .init(seconds: seconds, nanos: nanos) }
    static func fromNow(_ seconds: Int64) -> Google_Protobuf_Timestamp { .init(seconds: Int64(Date().timeIntervalSince1970) + seconds) }
    static func any(_ type: String) -> Google_Protobuf_Any { .with { $0.typeURL = "type.googleapis.com/\(type)" } }

    static let structureCases: [ValidationCase] = collectionCases + wellKnownCases + presenceCases

    static let collectionCases: [ValidationCase] = [
        .init("collections valid", collections { _ in }),
        .init("min_items", collections { $0.tags = [] }, violation("tags", "repeated.min_items", "must contain at least 1 item(s)")),
        .init("max_items", collections { $0.tags = ["ab", "cd", "ef", "gh"] }, violation("tags", "repeated.max_items", "must contain no more than 3 item(s)")),
        .init("unique", collections { $0.tags = ["ab", "ab"] }, violation("tags", "repeated.unique", "repeated value must contain unique items")),
        .init("unique compares bytes", collections { $0.tags = ["caf\u{E9}", "cafe\u{301}"] }),
        .init("items", collections { $0.tags = ["ab", "c"] }, violation("tags[1]", "string.min_len", "must be at least 2 characters")),
        .init("list rules, then items", collections { $0.tags = ["a", "a"] },
              violation("tags", "repeated.unique", "repeated value must contain unique items"),
              violation("tags[0]", "string.min_len", "must be at least 2 characters"), violation("tags[1]", "string.min_len", "must be at least 2 characters")),
        .init("items range", collections { $0.scores = [0, 100, 101, -1] },
              violation("scores[2]", "int32.gte_lte", "must be greater than or equal to 0 and less than or equal to 100"),
              violation("scores[3]", "int32.gte_lte", "must be greater than or equal to 0 and less than or equal to 100")),
        .init("message items validated", collections { $0.items = [named, Item()] }, violation("items[1].name", "string.min_len", "must be at least 1 characters")),
        .init("message items counted", collections { $0.items = [named, named, named] },
              violation("items", "repeated.max_items", "must contain no more than 2 item(s)")),
        .init("unique doubles", collections { $0.ratios = [0.5, 0.5] }, violation("ratios", "repeated.unique", "repeated value must contain unique items")),
        .init("enum items", collections { $0.tones = [.red, .UNRECOGNIZED(7)] },
              violation("tones[1]", "enum.defined_only", "must be one of the defined enum values")),
        .init("min_pairs", collections { $0.labels = [:] }, violation("labels", "map.min_pairs", "map must be at least 1 entries")),
        .init("max_pairs", collections { $0.labels = ["ab": 1, "cd": 1, "ef": 1, "gh": 1] }, violation("labels", "map.max_pairs", "map must be at most 3 entries")),
        .init("keys", collections { $0.labels = ["a": 1] }, violation(#"labels["a"]"#, "string.min_len", "must be at least 2 characters")),
        .init("values in key order", collections { $0.labels = ["cd": -1, "ab": 0] },
              violation(#"labels["ab"]"#, "int32.gt", "must be greater than 0"), violation(#"labels["cd"]"#, "int32.gt", "must be greater than 0")),
        .init("keys before values", collections { $0.labels = ["b": 0] },
              violation(#"labels["b"]"#, "string.min_len", "must be at least 2 characters"), violation(#"labels["b"]"#, "int32.gt", "must be greater than 0")),
        .init("key quoted in the path", collections { $0.labels = ["a\"b": 0] }, violation(#"labels["a\"b"]"#, "int32.gt", "must be greater than 0")),
        .init("integer keys", collections { $0.byID = [0: named] }, violation("by_id[0]", "int64.gt", "must be greater than 0")),
        .init("message values validated", collections { $0.byID = [5: Item()] }, violation("by_id[5].name", "string.min_len", "must be at least 1 characters")),
        .init("bool keys", collections { $0.flags = [true: "long", false: "ok"] }, violation("flags[true]", "string.max_len", "must be at most 3 characters")),
        .init("bool keys false first", collections { $0.flags = [true: "long", false: "longer"] },
              violation("flags[false]", "string.max_len", "must be at most 3 characters"), violation("flags[true]", "string.max_len", "must be at most 3 characters")),
        .init("items ignore zero", collections { $0.sparse = ["", "abc", "ab"] }, violation("sparse[2]", "string.min_len", "must be at least 3 characters")),
        .init("bytes items", collections { $0.blobs = [Data([1, 2, 3])] }, violation("blobs[0]", "bytes.max_len", "must be at most 2 bytes")),
        .init("unique bytes", collections { $0.blobs = [Data([1]), Data([1])] }, violation("blobs", "repeated.unique", "repeated value must contain unique items")),
        .init("empty list ignored", collections { $0.optionalTags = [] }),
        .init("list not ignored once set", collections { $0.optionalTags = ["a"] },
              violation("optional_tags", "repeated.min_items", "must contain at least 2 item(s)")),
    ]

    static let wellKnownCases: [ValidationCase] = [
        .init("well-known valid", wellKnown { _ in }),
        .init("required message and duration", Kratos_Test_V1_WellKnown(),
              violation("item", "required", "value is required"), violation("wait", "required", "value is required")),
        .init("duration in range", wellKnown { $0.timeout = seconds(60) }),
        .init("duration fraction", wellKnown { $0.timeout = seconds(0, 500_000_000) }),
        .init("duration zero", wellKnown { $0.timeout = seconds(0) },
              violation("timeout", "duration.gt_lte", "must be greater than 0s and less than or equal to 60s")),
        .init("duration above", wellKnown { $0.timeout = seconds(60, 1) },
              violation("timeout", "duration.gt_lte", "must be greater than 0s and less than or equal to 60s")),
        .init("duration in", wellKnown { $0.backoff = seconds(2) }),
        .init("duration in missing", wellKnown { $0.backoff = seconds(3) }, violation("backoff", "duration.in", "must be in list [1s, 2s]")),
        .init("duration outside", wellKnown { $0.outside = seconds(11) }),
        .init("duration exclusive", wellKnown { $0.outside = seconds(5) },
              violation("outside", "duration.gt_lt_exclusive", "must be greater than 10s or less than 1s")),
        .init("duration const", wellKnown { $0.exact = seconds(5) }),
        .init("duration const differs", wellKnown { $0.exact = seconds(5, 1) }, violation("exact", "duration.const", "must equal 5s")),
        .init("duration not_in", wellKnown { $0.notHalf = seconds(0, 500_000_000) }, violation("not_half", "duration.not_in", "must not be in list [0.500s]")),
        .init("timestamp range", wellKnown { $0.at = .init(seconds: 1_735_689_600) }),
        .init("timestamp before", wellKnown { $0.at = .init(seconds: 1_546_300_800) },
              violation("at", "timestamp.gt_lt", "must be greater than 2020-01-01T00:00:00Z and less than 2030-01-01T00:00:00Z")),
        .init("timestamp const", wellKnown { $0.epoch = .init(seconds: 0) }),
        .init("timestamp const differs", wellKnown { $0.epoch = .init(seconds: 1) }, violation("epoch", "timestamp.const", "must equal 1970-01-01T00:00:00Z")),
        .init("timestamp nanos bound", wellKnown { $0.since = .init(seconds: 100, nanos: 5) }),
        .init("timestamp past the nanos bound", wellKnown { $0.since = .init(seconds: 100, nanos: 6) },
              violation("since", "timestamp.gte_lte", "must be greater than or equal to 1970-01-01T00:00:00Z and less than or equal to 1970-01-01T00:01:40.000000005Z")),
        .init("lt_now", wellKnown { $0.past = fromNow(-60) }),
        .init("lt_now future", wellKnown { $0.past = fromNow(3600) }, violation("past", "timestamp.lt_now", "must be less than now")),
        .init("gt_now", wellKnown { $0.future = fromNow(3600) }),
        .init("gt_now past", wellKnown { $0.future = fromNow(-60) }, violation("future", "timestamp.gt_now", "must be greater than now")),
        .init("within", wellKnown { $0.recent = fromNow(-60) }),
        .init("within too old", wellKnown { $0.recent = fromNow(-7200) }, violation("recent", "timestamp.within", "must be within 3600s of now")),
        .init("any in", wellKnown { $0.payload = any("google.protobuf.Duration") }),
        .init("any in missing", wellKnown { $0.payload = any("google.protobuf.Timestamp") }, violation("payload", "any.in", "type URL must be in the allow list")),
        .init("any not_in", wellKnown { $0.notEmpty = any("google.protobuf.Empty") }, violation("not_empty", "any.not_in", "type URL must not be in the block list")),
        .init("wrapper string", wellKnown { $0.nickname = .init("ab") }),
        .init("wrapper string short", wellKnown { $0.nickname = .init("a") }, violation("nickname", "string.min_len", "must be at least 2 characters")),
        .init("wrapper int32", wellKnown { $0.limit = .init(0) }, violation("limit", "int32.gte", "must be greater than or equal to 1")),
        .init("required message validated", wellKnown { $0.item = Item() }, violation("item.name", "string.min_len", "must be at least 1 characters")),
        .init("required duration validated", wellKnown { $0.wait = seconds(0, 1) }, violation("wait", "duration.gte", "must be greater than or equal to 1s")),
    ]
}
