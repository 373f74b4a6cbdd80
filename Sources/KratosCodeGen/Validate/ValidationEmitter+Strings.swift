import Foundation

/// String and bytes rules. Strings compare by their UTF-8 bytes (as protovalidate does, not by
/// Swift's canonical equivalence); lengths count Unicode scalars, `*_bytes` UTF-8 bytes.
extension ValidationEmitter {
    mutating func stringChecks(_ rules: Buf_Validate_StringRules, value: String, path: String) throws {
        try supported(rules, [
            "const", "len", "min_len", "max_len", "len_bytes", "min_bytes", "max_bytes", "pattern", "prefix", "suffix", "contains",
            "not_contains", "in", "not_in", "email", "hostname", "ip", "ipv4", "ipv6", "uri", "address", "uuid", "tuuid", "example",
        ], kind: "string")
        let length = "Validation.length(\(value))", bytes = "\(value).utf8.count"
        if rules.hasConst {
            check("!Validation.equals(\(value), \(swiftLiteral(rules.const)))", path: path, rule: "string.const", message: "must equal `\(rules.const)`")
        }
        if rules.hasLen { check("\(length) != \(rules.len)", path: path, rule: "string.len", message: "must be \(rules.len) characters") }
        if rules.hasMinLen {
            check("\(length) < \(rules.minLen)", path: path, rule: "string.min_len", message: "must be at least \(rules.minLen) characters")
        }
        if rules.hasMaxLen {
            check("\(length) > \(rules.maxLen)", path: path, rule: "string.max_len", message: "must be at most \(rules.maxLen) characters")
        }
        if rules.hasLenBytes { check("\(bytes) != \(rules.lenBytes)", path: path, rule: "string.len_bytes", message: "must be \(rules.lenBytes) bytes") }
        if rules.hasMinBytes {
            check("\(bytes) < \(rules.minBytes)", path: path, rule: "string.min_bytes", message: "must be at least \(rules.minBytes) bytes")
        }
        if rules.hasMaxBytes {
            check("\(bytes) > \(rules.maxBytes)", path: path, rule: "string.max_bytes", message: "must be at most \(rules.maxBytes) bytes")
        }
        if rules.hasPattern {
            let pattern = try pattern(rules.pattern, rule: "string.pattern")
            check("!\(pattern).matches(\(value))", path: path, rule: "string.pattern", message: "does not match regex pattern `\(rules.pattern)`")
        }
        let text = swiftLiteral
        if rules.hasPrefix {
            check("!Validation.hasPrefix(\(value), \(text(rules.prefix)))", path: path, rule: "string.prefix", message: "does not have prefix `\(rules.prefix)`")
        }
        if rules.hasSuffix {
            check("!Validation.hasSuffix(\(value), \(text(rules.suffix)))", path: path, rule: "string.suffix", message: "does not have suffix `\(rules.suffix)`")
        }
        if rules.hasContains {
            check("!Validation.contains(\(value), \(text(rules.contains)))", path: path, rule: "string.contains",
                  message: "does not contain substring `\(rules.contains)`")
        }
        if rules.hasNotContains {
            check("Validation.contains(\(value), \(text(rules.notContains)))", path: path, rule: "string.not_contains",
                  message: "contains substring `\(rules.notContains)`")
        }
        if !rules.in.isEmpty {
            check("!Validation.isIn(\(value), \(stringArray(rules.in)))", path: path, rule: "string.in", message: "must be in list \(stringArray(rules.in))")
        }
        if !rules.notIn.isEmpty {
            check("Validation.isIn(\(value), \(stringArray(rules.notIn)))", path: path, rule: "string.not_in",
                  message: "must not be in list \(stringArray(rules.notIn))")
        }
        let format: (rule: String, function: String, what: String)? = switch rules.wellKnown {
        case .email(true)?: ("email", "isEmail", "email address")
        case .hostname(true)?: ("hostname", "isHostname", "hostname")
        case .ip(true)?: ("ip", "isIP", "IP address")
        case .ipv4(true)?: ("ipv4", "isIPv4", "IPv4 address")
        case .ipv6(true)?: ("ipv6", "isIPv6", "IPv6 address")
        case .uri(true)?: ("uri", "isURI", "URI")
        case .address(true)?: ("address", "isAddress", "hostname or IP address")
        case .uuid(true)?: ("uuid", "isUUID", "UUID")
        case .tuuid(true)?: ("tuuid", "isTrimmedUUID", "trimmed UUID")
        default: nil
        }
        if let format {
            check("\(value).isEmpty", path: path, rule: "string.\(format.rule)_empty", message: "value is empty, which is not a valid \(format.what)")
            check("!\(value).isEmpty && !Validation.\(format.function)(\(value))", path: path, rule: "string.\(format.rule)",
                  message: "must be a valid \(format.what)")
        }
    }

    mutating func bytesChecks(_ rules: Buf_Validate_BytesRules, value: String, path: String) throws {
        try supported(rules, [
            "const", "len", "min_len", "max_len", "pattern", "prefix", "suffix", "contains", "in", "not_in", "ip", "ipv4", "ipv6", "uuid", "example",
        ], kind: "bytes")
        if rules.hasConst {
            check("!Validation.equals(\(value), \(bytesLiteral(rules.const)))", path: path, rule: "bytes.const", message: "must be \(hex(rules.const))")
        }
        if rules.hasLen { check("\(value).count != \(rules.len)", path: path, rule: "bytes.len", message: "must be \(rules.len) bytes") }
        if rules.hasMinLen {
            check("\(value).count < \(rules.minLen)", path: path, rule: "bytes.min_len", message: "must be at least \(rules.minLen) bytes")
        }
        if rules.hasMaxLen {
            check("\(value).count > \(rules.maxLen)", path: path, rule: "bytes.max_len", message: "must be at most \(rules.maxLen) bytes")
        }
        if rules.hasPattern {
            let pattern = try pattern(rules.pattern, rule: "bytes.pattern")
            check("!\(pattern).matches(\(value))", path: path, rule: "bytes.pattern", message: "must match regex pattern `\(rules.pattern)`")
        }
        if rules.hasPrefix {
            check("!Validation.hasPrefix(\(value), \(bytesLiteral(rules.prefix)))", path: path, rule: "bytes.prefix",
                  message: "does not have prefix \(hex(rules.prefix))")
        }
        if rules.hasSuffix {
            check("!Validation.hasSuffix(\(value), \(bytesLiteral(rules.suffix)))", path: path, rule: "bytes.suffix",
                  message: "does not have suffix \(hex(rules.suffix))")
        }
        if rules.hasContains {
            check("!Validation.contains(\(value), \(bytesLiteral(rules.contains)))", path: path, rule: "bytes.contains",
                  message: "does not contain \(hex(rules.contains))")
        }
        let list = { (values: [Data]) in "[" + values.map(bytesLiteral).joined(separator: ", ") + "]" }
        let hexList = { (values: [Data]) in "[" + values.map(hex).joined(separator: ", ") + "]" }
        if !rules.in.isEmpty {
            check("!Validation.isIn(\(value), \(list(rules.in)))", path: path, rule: "bytes.in", message: "must be in list \(hexList(rules.in))")
        }
        if !rules.notIn.isEmpty {
            check("Validation.isIn(\(value), \(list(rules.notIn)))", path: path, rule: "bytes.not_in", message: "must not be in list \(hexList(rules.notIn))")
        }
        let format: (rule: String, sizes: [Int], what: String)? = switch rules.wellKnown {
        case .ip(true)?: ("ip", [4, 16], "IP address")
        case .ipv4(true)?: ("ipv4", [4], "IPv4 address")
        case .ipv6(true)?: ("ipv6", [16], "IPv6 address")
        case .uuid(true)?: ("uuid", [16], "UUID")
        default: nil
        }
        if let format {
            check("\(value).isEmpty", path: path, rule: "bytes.\(format.rule)_empty", message: "value is empty, which is not a valid \(format.what)")
            check("!\(value).isEmpty && !\(format.sizes).contains(\(value).count)", path: path, rule: "bytes.\(format.rule)",
                  message: "must be a valid \(format.what)")
        }
    }

    /// `["a", "b"]` as Swift (and in messages).
    func stringArray(_ values: [String]) -> String {
        "[" + values.map(swiftLiteral).joined(separator: ", ") + "]"
    }
}

/// `[0x01, 0xff]` as Swift (`[UInt8]`).
private func bytesLiteral(_ data: Data) -> String {
    "[" + data.map { byte in "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined(separator: ", ") + "]" + (data.isEmpty ? " as [UInt8]" : "")
}

/// `01ff`, as bytes show in messages.
private func hex(_ data: Data) -> String {
    data.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
}
