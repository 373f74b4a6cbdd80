import SwiftProtobuf

/// go-kratos's protojson `EmitUnpopulated`, added to the protojson SwiftProtobuf writes (which
/// leaves out every field holding its default).
///
/// Walks SwiftProtobuf's compact output with the message's schema and writes each field that is
/// absent with its unpopulated value (``MessageSchema/Field/unpopulated``: `""`, `0`, `[]`, `{}`,
/// `null`, …) just before the first present field with a greater number, or at the end — the
/// same places ``ProtoJSONWriter`` puts them, so both give the same bytes. Nested messages,
/// repeated messages and message-valued maps are filled too; well-known types keep their own
/// JSON forms.
enum UnpopulatedFields {
    /// `json`, a `type` message as SwiftProtobuf writes it, with its unpopulated fields added;
    /// keys are proto names when `protoNames` (SwiftProtobuf's `preserveProtoFieldNames`).
    static func fill(_ json: [UInt8], type: any SwiftProtobuf.Message.Type, protoNames: Bool = false) throws -> [UInt8] {
        guard !isWellKnown(type) else { return json }
        var filler = Filler(input: json, protoNames: protoNames)
        try filler.message(.of(type))
        return filler.output
    }

    static func isWellKnown(_ type: any SwiftProtobuf.Message.Type) -> Bool {
        type.protoMessageName.hasPrefix("google.protobuf.")
    }

    /// The JSON was not SwiftProtobuf's compact protojson.
    struct Malformed: Error {}

    private struct Filler {
        let input: [UInt8]
        let protoNames: Bool
        var index = 0
        var output: [UInt8] = []

        init(input: [UInt8], protoNames: Bool) {
            self.input = input
            self.protoNames = protoNames
            output.reserveCapacity(input.count + 32)
        }

        mutating func message(_ schema: MessageSchema) throws {
            let members = try memberKeys()
            let present = Set(members.compactMap { schema.fields[$0]?.number })
            var pending = schema.ordered.filter { !present.contains($0.number) && $0.unpopulated != nil }[...]
            var first = true
            func separate(_ output: inout [UInt8]) {
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
            }
            try expect(UInt8(ascii: "{"))
            output.append(UInt8(ascii: "{"))
            var firstInInput = true
            while try peek() != UInt8(ascii: "}") {
                if !firstInInput { try expect(UInt8(ascii: ",")) }
                firstInInput = false
                let keyStart = index
                let key = try string()
                let field = schema.fields[key]
                if let number = field?.number {
                    while let next = pending.first, next.number < number {
                        separate(&output)
                        writeDefault(next)
                        pending.removeFirst()
                    }
                }
                separate(&output)
                output.append(contentsOf: input[keyStart..<index])
                try expect(UInt8(ascii: ":"))
                output.append(UInt8(ascii: ":"))
                try value(of: field)
            }
            index += 1
            for field in pending {
                separate(&output)
                writeDefault(field)
            }
            output.append(UInt8(ascii: "}"))
        }

        private mutating func writeDefault(_ field: MessageSchema.Field) {
            output.append(contentsOf: JSONString.quoted(protoNames ? field.protoName : field.jsonName).utf8)
            output.append(UInt8(ascii: ":"))
            output.append(contentsOf: (field.unpopulated ?? "null").utf8)
        }

        /// A member's value: messages (singly, in lists, as map values) are filled, the rest copied.
        private mutating func value(of field: MessageSchema.Field?) throws {
            let nested: (any SwiftProtobuf.Message.Type)? = switch field?.kind {
            case .message(let type)?: type
            case .map(_, .message(let type))?: type
            default: nil
            }
            guard let field, let nested, !isWellKnown(nested), try peek() != UInt8(ascii: "n") else { return try copyValue() }
            if case .map = field.kind {
                try each(open: "{", close: "}") { filler in
                    filler.output.append(contentsOf: try filler.rawString())
                    try filler.expect(UInt8(ascii: ":"))
                    filler.output.append(UInt8(ascii: ":"))
                    try filler.message(.of(nested))
                }
            } else if field.isRepeated {
                try each(open: "[", close: "]") { try $0.message(.of(nested)) }
            } else {
                try message(.of(nested))
            }
        }

        /// The members of a list or object, each written by `element`.
        private mutating func each(open: Unicode.Scalar, close: Unicode.Scalar, _ element: (inout Filler) throws -> Void) throws {
            try expect(UInt8(ascii: open))
            output.append(UInt8(ascii: open))
            var first = true
            while try peek() != UInt8(ascii: close) {
                if !first {
                    try expect(UInt8(ascii: ","))
                    output.append(UInt8(ascii: ","))
                }
                first = false
                try element(&self)
            }
            index += 1
            output.append(UInt8(ascii: close))
        }

        /// The keys of the object starting at `index`, without moving.
        private mutating func memberKeys() throws -> [String] {
            let start = index
            defer { index = start }
            try expect(UInt8(ascii: "{"))
            var keys: [String] = []
            while try peek() != UInt8(ascii: "}") {
                if !keys.isEmpty { try expect(UInt8(ascii: ",")) }
                keys.append(try string())
                try expect(UInt8(ascii: ":"))
                try skipValue()
            }
            return keys
        }

        private func peek() throws -> UInt8 {
            guard index < input.count else { throw Malformed() }
            return input[index]
        }

        private mutating func expect(_ byte: UInt8) throws {
            guard index < input.count, input[index] == byte else { throw Malformed() }
            index += 1
        }

        /// A string's text (keys are plain names; escapes are kept as written).
        private mutating func string() throws -> String {
            String(decoding: try rawString().dropFirst().dropLast(), as: UTF8.self)
        }

        /// A string with its quotes, as written.
        private mutating func rawString() throws -> ArraySlice<UInt8> {
            let start = index
            try expect(UInt8(ascii: "\""))
            while index < input.count, input[index] != UInt8(ascii: "\"") {
                index += input[index] == UInt8(ascii: "\\") ? 2 : 1
            }
            try expect(UInt8(ascii: "\""))
            return input[start..<index]
        }

        private mutating func copyValue() throws {
            let start = index
            try skipValue()
            output.append(contentsOf: input[start..<index])
        }

        private mutating func skipValue() throws {
            switch try peek() {
            case UInt8(ascii: "\""):
                _ = try rawString()
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                var depth = 0
                repeat {
                    switch try peek() {
                    case UInt8(ascii: "\""):
                        _ = try rawString()
                        continue
                    case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                    case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
                    default: break
                    }
                    index += 1
                } while depth > 0
            default:
                let start = index
                while index < input.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]")].contains(input[index]) {
                    index += 1
                }
                guard index > start else { throw Malformed() }
            }
        }
    }
}
