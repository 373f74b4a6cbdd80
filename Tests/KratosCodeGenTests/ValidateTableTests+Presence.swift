import Kratos
import KratosTestSupport

/// Presence, `required`, `ignore`, oneofs (real ones and the message `oneof` rule) and messages
/// validated through the ones holding them.
extension ValidateTableTests {
    typealias P = Kratos_Test_V1_Presence

    static let presenceCases: [ValidationCase] = [
        .init("presence valid", presence { _ in }),
        .init("nothing set", P(),
              violation("", "message.oneof", "one of left, right must be set"),
              violation("plain", "string.min_len", "must be at least 3 characters"),
              violation("needed", "required", "value is required"), violation("count", "required", "value is required"),
              violation("chosen", "required", "value is required"), violation("list", "required", "value is required"),
              violation("strict", "required", "value is required"), violation("agreed", "required", "value is required"),
              violation("contact", "required", "exactly one field is required in oneof")),
        .init("no presence: validated when empty", presence { $0.plain = "" }, violation("plain", "string.min_len", "must be at least 3 characters")),
        .init("ignore zero: empty skipped", presence { $0.skipZero = "" }),
        .init("ignore zero: set is validated", presence { $0.skipZero = "ab" }, violation("skip_zero", "string.min_len", "must be at least 3 characters")),
        .init("ignore always", presence { $0.always = "a" }),
        .init("optional unset skipped", presence { $0.clearMaybe() }),
        .init("optional set to empty is validated", presence { $0.maybe = "" }, violation("maybe", "string.min_len", "must be at least 3 characters")),
        .init("required optional set to zero", presence { $0.chosen = 0 }),
        .init("required optional unset", presence { $0.clearChosen() }, violation("chosen", "required", "value is required")),
        .init("required number zero", presence { $0.count = 0 }, violation("count", "required", "value is required")),
        .init("required bool false", presence { $0.agreed = false }, violation("agreed", "required", "value is required")),
        .init("required list empty", presence { $0.list = [] }, violation("list", "required", "value is required")),
        .init("required fails alone", presence { $0.strict = "" }, violation("strict", "required", "value is required")),
        .init("required then the rest", presence { $0.strict = "ab" }, violation("strict", "string.min_len", "must be at least 3 characters")),
        .init("nested message validated", presence { $0.child = Item() }, violation("child.name", "string.min_len", "must be at least 1 characters")),
        .init("nested message ignored", presence { $0.ignoredChild = Item() }),
        .init("oneof member validated", presence { $0.phone = "123" }, violation("phone", "string.min_len", "must be at least 5 characters")),
        .init("oneof member invalid email", presence { $0.email = "bad" }, violation("email", "string.email", "must be a valid email address")),
        .init("oneof member set to empty", presence { $0.email = "" },
              violation("email", "string.email_empty", "value is empty, which is not a valid email address")),
        .init("required oneof unset", presence { $0.contact = nil }, violation("contact", "required", "exactly one field is required in oneof")),
        .init("optional oneof string", presence { $0.code = "a" }, violation("code", "string.min_len", "must be at least 2 characters")),
        .init("optional oneof number", presence { $0.number = 0 }, violation("number", "int32.gt", "must be greater than 0")),
        .init("optional oneof message", presence { $0.extraItem = Item() }, violation("extra_item.name", "string.min_len", "must be at least 1 characters")),
        .init("optional oneof valid", presence { $0.number = 3 }),
        .init("message oneof: both set", presence { $0.right = "x" }, violation("", "message.oneof", "only one of left, right can be set")),
        .init("message oneof: the other one", presence { $0.left = ""; $0.right = "x" }),
        .init("message oneof: a member's rules", presence { $0.left = "a" }, violation("left", "string.min_len", "must be at least 2 characters")),
        .init("enum ignore zero", presence { $0.tone = .unspecified }),
        .init("enum in", presence { $0.tone = .green }),
        .init("enum in missing", presence { $0.tone = .blue }, violation("tone", "enum.in", "must be in list [2]")),

        .init("rules always ignored", Kratos_Test_V1_Ignored.with { $0.anything = "a" }),
        .init("holder empty", Kratos_Test_V1_Holder()),
        .init("holder item", Kratos_Test_V1_Holder.with { $0.item = Item(); $0.plain = .with { $0.anything = "" } },
              violation("item.name", "string.min_len", "must be at least 1 characters")),
        .init("holder items", Kratos_Test_V1_Holder.with { $0.items = [named, Item()] }, violation("items[1].name", "string.min_len", "must be at least 1 characters")),
        .init("holder map", Kratos_Test_V1_Holder.with { $0.named = ["k": Item()] }, violation(#"named["k"].name"#, "string.min_len", "must be at least 1 characters")),
        .init("recursive tree", Kratos_Test_V1_Node.with {
            $0.label = "root"
            $0.children = [.with { $0.label = "a"; $0.children = [.with { $0.label = "" }] }, .with { $0.label = "b" }]
        }, violation("children[0].children[0].label", "string.min_len", "must be at least 1 characters")),
    ]
}
