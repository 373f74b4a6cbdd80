extension RequestContext {
    /// `value` as `T`, where a request or reply crosses the middleware boundary back into typed
    /// code. Middleware may replace either with a value of another type; that is a 500
    /// `TYPE_MISMATCH` framework error naming the operation and both types, never a crash.
    ///
    /// - Parameter role: what `value` is, for the message: `"request"` or `"reply"`.
    @inlinable
    public func typed<T>(_ value: any Sendable, as _: T.Type, role: String = "request") throws -> T {
        try withExactly(value, as: T.self, { $0 }) { value in
            if let typed = value as? T { return typed }
            throw KratosError.typeMismatch(operation: operation, role: role, expected: T.self, found: Swift.type(of: value))
        }
    }
}

/// `body(value)` when `value` holds exactly a `T`, else `otherwise(value)` (where `as?` still
/// finds a subclass or a wrapped value). The check compares type metadata: in generic code that
/// is not specialised, `value as? T` looks up `T?`'s metadata on every call, which costs more
/// than the cast itself.
@inlinable @inline(__always)
package func withExactly<T, R>(_ value: any Sendable, as _: T.Type, _ body: (T) throws -> R,
                               otherwise: (any Sendable) throws -> R) rethrows -> R {
    func opened<V>(_ opened: V, _ body: (T) throws -> R, _ otherwise: (any Sendable) throws -> R) rethrows -> R {
        guard V.self == T.self else { return try otherwise(value) }
        return try body(unsafeBitCast(opened, to: T.self))
    }
    return try opened(value, body, otherwise)
}

extension KratosError {
    /// 500 `TYPE_MISMATCH`: middleware handed on a request or reply of another type than the
    /// operation's handler or caller takes.
    public static func typeMismatch(operation: String, role: String, expected: Any.Type, found: Any.Type) -> KratosError {
        .internalServer("TYPE_MISMATCH", "\(operation): the \(role) is \(found), not \(expected)")
    }
}
