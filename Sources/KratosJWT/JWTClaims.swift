import Foundation
import JWTKit
import Kratos

/// One JSON value of a token's claims set; literals make them (`["sub": "ann", "admin": true]`).
/// Integral numbers are ``integer(_:)``, others ``double(_:)``.
public enum JWTClaimValue: Sendable, Hashable, Codable {
    case string(String)
    case integer(Int64)
    case double(Double)
    case bool(Bool)
    case array([JWTClaimValue])
    case object([String: JWTClaimValue])
    case null

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Int64.self) {
            self = .integer(value)
        } else if let value = try? container.decode(Double.self) {
            self = .double(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JWTClaimValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JWTClaimValue].self))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .integer(let value): try container.encode(value)
        case .double(let value): try container.encode(value)
        case .bool(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        case .null: try container.encodeNil()
        }
    }

    /// The value when it is a string.
    public var stringValue: String? {
        if case .string(let value) = self { value } else { nil }
    }

    /// The value when it is a number.
    public var numberValue: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}

extension JWTClaimValue: ExpressibleByStringLiteral, ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral,
    ExpressibleByBooleanLiteral, ExpressibleByArrayLiteral, ExpressibleByDictionaryLiteral {
    public init(stringLiteral value: String) { self = .string(value) }
    public init(integerLiteral value: Int64) { self = .integer(value) }
    public init(floatLiteral value: Double) { self = .double(value) }
    public init(booleanLiteral value: Bool) { self = .bool(value) }
    public init(arrayLiteral elements: JWTClaimValue...) { self = .array(elements) }
    public init(dictionaryLiteral elements: (String, JWTClaimValue)...) {
        self = .object(Dictionary(elements) { _, last in last })
    }
}

/// A token's claims set: the registered claims by name (``subject``, ``expiresAt``, …) and every
/// other claim as JSON.
///
/// The JWT middleware puts the verified claims of a request in its context:
///
/// ```swift
/// func sayHello(_ request: HelloRequest, context: RequestContext) async throws -> HelloReply {
///     let user = context.jwtClaims?.subject ?? "anonymous"
///     let role = context.jwtClaims?["role"]?.stringValue
///     …
/// }
/// ```
public struct JWTClaims: Sendable, Hashable, JWTPayload, ExpressibleByDictionaryLiteral {
    /// Every claim by name.
    public var values: [String: JWTClaimValue]

    public init(_ values: [String: JWTClaimValue] = [:]) {
        self.values = values
    }

    public init(dictionaryLiteral elements: (String, JWTClaimValue)...) {
        values = Dictionary(elements) { _, last in last }
    }

    public init(from decoder: any Decoder) throws {
        values = try decoder.singleValueContainer().decode([String: JWTClaimValue].self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(values)
    }

    /// Does nothing: ``JWTAuth`` checks the time claims itself, with its leeway and its reasons.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}

    /// The claim `name`, any JSON value.
    public subscript(name: String) -> JWTClaimValue? {
        get { values[name] }
        set { values[name] = newValue }
    }

    /// `sub`.
    public var subject: String? { values["sub"]?.stringValue }
    /// `iss`.
    public var issuer: String? { values["iss"]?.stringValue }
    /// `jti`.
    public var id: String? { values["jti"]?.stringValue }
    /// `aud`: one string or an array of them.
    public var audience: [String] {
        switch values["aud"] {
        case .string(let one)?: [one]
        case .array(let many)?: many.compactMap(\.stringValue)
        default: []
        }
    }
    /// `exp`, when it is a number.
    public var expiresAt: Date? { date("exp") }
    /// `nbf`, when it is a number.
    public var notBefore: Date? { date("nbf") }
    /// `iat`, when it is a number.
    public var issuedAt: Date? { date("iat") }

    func date(_ name: String) -> Date? {
        values[name]?.numberValue.map { Date(timeIntervalSince1970: $0) }
    }

    /// The claims as a `Decodable` type of your own (through JSON).
    ///
    /// ```swift
    /// struct Session: Decodable { let sub: String; let scopes: [String] }
    /// let session = try context.jwtClaims?.decode(Session.self)
    /// ```
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: JSONEncoder().encode(values))
    }

    /// The key the JWT middleware stores the verified claims under.
    public static let contextKey = RequestContext.Key<JWTClaims>("kratos.jwt.claims")

    /// The verified claims of the request the current task serves, if a JWT middleware verified
    /// them (go-kratos's `jwt.FromContext`).
    public static var current: JWTClaims? { RequestContext.current?.jwtClaims }
}

extension RequestContext {
    /// The claims of the request's token, once ``JWTAuth`` verified it.
    public var jwtClaims: JWTClaims? { self[JWTClaims.contextKey] }
}
