/// A protovalidate `pattern` (RE2 syntax) as Swift `Regex` reads it. Swift's syntax is close to
/// a superset of RE2's; the differences handled here: RE2's one-letter Unicode classes (`\pL`,
/// `\PN`) are written `\p{L}`, `\P{N}`; and what RE2 refuses (lookaround, atomic groups,
/// backreferences), which Swift would accept, is refused here too, so a pattern works the same
/// in Go.
enum RE2Pattern {
    /// The Swift form of `pattern`; throws what RE2 does not support.
    static func swiftSource(_ pattern: String) throws -> String {
        var out = ""
        var characters = pattern.makeIterator()
        var previous: [Character] = []
        while let character = characters.next() {
            if character == "\\", let escaped = characters.next() {
                switch escaped {
                case "p", "P":
                    guard let name = characters.next() else { throw GeneratorError("\\\(escaped) at the end of the pattern") }
                    out += name == "{" ? "\\\(escaped){" : "\\\(escaped){\(name)}"
                case "1"..."9", "k":
                    throw GeneratorError("backreferences (\\\(escaped)) are not RE2")
                default:
                    out += "\\\(escaped)"
                }
                previous = []
                continue
            }
            previous = Array((previous + [character]).suffix(4))
            for refused in ["(?=", "(?!", "(?<=", "(?<!", "(?>"] where String(previous).hasSuffix(refused) {
                throw GeneratorError("\(refused) is not RE2 (no lookaround or atomic groups)")
            }
            out.append(character)
        }
        return out
    }
}
