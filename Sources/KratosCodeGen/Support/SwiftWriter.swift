/// Builds Swift source text line by line with indentation.
struct SwiftWriter {
    private(set) var text = ""
    private var indent = 0

    mutating func line(_ line: String = "") {
        text += line.isEmpty ? "\n" : String(repeating: "    ", count: indent) + line + "\n"
    }

    /// Appends `text` as it is (already indented, ending in a newline).
    mutating func raw(_ text: String) {
        self.text += text
    }

    /// Writes what `body` writes one level deeper.
    mutating func indented(_ body: (inout SwiftWriter) -> Void) {
        indent += 1
        body(&self)
        indent -= 1
    }

    /// Writes `opening` and indents what follows one level, until ``close(_:)``.
    mutating func open(_ opening: String) {
        line(opening)
        indent += 1
    }

    /// Ends what ``open(_:)`` started: back one level, then `closing`.
    mutating func close(_ closing: String = "}") {
        indent -= 1
        line(closing)
    }

    /// Between ``open(_:)`` and ``close(_:)``: back one level for `line` (`} else {`), then on.
    mutating func reopen(_ line: String) {
        indent -= 1
        self.line(line)
        indent += 1
    }

    /// Writes `opening`, the body indented one level, then `closing`.
    mutating func block(_ opening: String, closing: String = "}", _ body: (inout SwiftWriter) throws -> Void) rethrows {
        line(opening)
        indent += 1
        try body(&self)
        indent -= 1
        line(closing)
    }
}

/// Generator options shared by our plugins, as protoc passes them (`--kratos-errors_opt=…`):
/// `Visibility=Internal|Public|Package` and `FileNaming=FullPath|PathToUnderscores|DropPath`, with
/// protoc-gen-swift's meaning.
public struct GeneratorOptions: Sendable, Equatable {
    public enum FileNaming: String, Sendable { case fullPath = "FullPath", pathToUnderscores = "PathToUnderscores", dropPath = "DropPath" }

    public var visibility = "internal"
    public var fileNaming = FileNaming.fullPath
    /// protoc-gen-kratos-http: give RPCs without an HTTP rule `POST /pkg.Svc/Method`.
    public var defaultRoutes = true
    /// protoc-gen-kratos-http and -grpc: also emit the typed client (the HTTP one needs
    /// `KratosHTTPClient`, so a service that only serves can turn it off).
    public var client = true
    /// protoc-gen-kratos-http and -grpc: also write the shared `<proto>.kratos.swift` (operation
    /// constants and service protocol, see ``ServiceFile``). Both plugins write it by default, so
    /// either alone is enough; when both run into one output directory, give one of them
    /// `Shared=false` (protoc refuses a file written twice).
    public var shared = true

    public init() {}

    /// Parses `key=value` pairs; an unknown key or value is an error naming it.
    public init(_ pairs: [(key: String, value: String)]) throws {
        for (key, value) in pairs {
            switch key {
            case "Visibility":
                guard ["Internal", "Public", "Package"].contains(value) else {
                    throw GeneratorError("unknown Visibility \(value); use Internal, Public or Package")
                }
                visibility = value.lowercased()
            case "FileNaming":
                guard let naming = FileNaming(rawValue: value) else {
                    throw GeneratorError("unknown FileNaming \(value); use FullPath, PathToUnderscores or DropPath")
                }
                fileNaming = naming
            case "DefaultRoutes":
                guard let flag = Bool(value.lowercased()) else { throw GeneratorError("DefaultRoutes takes true or false, not \(value)") }
                defaultRoutes = flag
            case "Client":
                guard let flag = Bool(value.lowercased()) else { throw GeneratorError("Client takes true or false, not \(value)") }
                client = flag
            case "Shared":
                guard let flag = Bool(value.lowercased()) else { throw GeneratorError("Shared takes true or false, not \(value)") }
                shared = flag
            default:
                throw GeneratorError("unknown option \(key); known: Visibility, FileNaming, DefaultRoutes, Client, Shared")
            }
        }
    }

    /// The output file for `protoPath` (`a/b/c.proto`) with `suffix` (`.errors.swift`).
    public func outputName(for protoPath: String, suffix: String) -> String {
        let base = protoPath.hasSuffix(".proto") ? String(protoPath.dropLast(6)) : protoPath
        switch fileNaming {
        case .fullPath: return base + suffix
        case .pathToUnderscores: return base.replacingOccurrences(of: "/", with: "_") + suffix
        case .dropPath: return String(base.split(separator: "/").last ?? Substring(base)) + suffix
        }
    }
}

/// A generator failure, reported by protoc with the plugin's name.
public struct GeneratorError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// `USER_NOT_FOUND` → `UserNotFound`.
func upperCamel(_ protoName: String) -> String {
    protoName.split(separator: "_").map { $0.prefix(1).uppercased() + $0.dropFirst().lowercased() }.joined()
}

/// `text` as a Swift string literal, every character that needs it escaped.
func swiftLiteral(_ text: String) -> String {
    var out = "\""
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\\": out += "\\\\"
        case "\"": out += "\\\""
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20 || scalar.value == 0x7F: out += "\\u{\(String(scalar.value, radix: 16))}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out + "\""
}
