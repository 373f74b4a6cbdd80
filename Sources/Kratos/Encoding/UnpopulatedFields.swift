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

    private struct Filler {
        var scanner: JSONScanner
        let protoNames: Bool
        var output: [UInt8] = []

        init(input: [UInt8], protoNames: Bool) {
            scanner = JSONScanner(input)
            self.protoNames = protoNames
            output.reserveCapacity(input.count + 32)
        }

        mutating func message(_ schema: MessageSchema) throws {
            let present = Set(try scanner.memberKeys().compactMap { schema.fields[$0]?.number })
            var pending = schema.ordered.filter { !present.contains($0.number) && $0.unpopulated != nil }[...]
            var first = true
            try scanner.expect(UInt8(ascii: "{"))
            output.append(UInt8(ascii: "{"))
            var firstInInput = true
            while try scanner.peek() != UInt8(ascii: "}") {
                if !firstInInput { try scanner.expect(UInt8(ascii: ",")) }
                firstInInput = false
                let key = try scanner.rawString()
                let field = schema.fields[String(decoding: key.dropFirst().dropLast(), as: UTF8.self)]
                if let number = field?.number {
                    while let next = pending.first, next.number < number {
                        writeDefault(next, first: &first)
                        pending.removeFirst()
                    }
                }
                if !first { output.append(UInt8(ascii: ",")) }
                first = false
                output.append(contentsOf: key)
                try scanner.expect(UInt8(ascii: ":"))
                output.append(UInt8(ascii: ":"))
                try value(of: field)
            }
            scanner.index += 1
            for field in pending { writeDefault(field, first: &first) }
            output.append(UInt8(ascii: "}"))
        }

        private mutating func writeDefault(_ field: MessageSchema.Field, first: inout Bool) {
            if !first { output.append(UInt8(ascii: ",")) }
            first = false
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
            guard let field, let nested, !isWellKnown(nested), try scanner.peek() != UInt8(ascii: "n") else {
                output.append(contentsOf: try scanner.skipValue())
                return
            }
            if case .map = field.kind {
                try each(open: "{", close: "}") { filler in
                    filler.output.append(contentsOf: try filler.scanner.rawString())
                    try filler.scanner.expect(UInt8(ascii: ":"))
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
            try scanner.expect(UInt8(ascii: open))
            output.append(UInt8(ascii: open))
            var first = true
            while try scanner.peek() != UInt8(ascii: close) {
                if !first {
                    try scanner.expect(UInt8(ascii: ","))
                    output.append(UInt8(ascii: ","))
                }
                first = false
                try element(&self)
            }
            scanner.index += 1
            output.append(UInt8(ascii: close))
        }
    }
}
