extension RequestContext {
    /// `value` as `T`, where a request or reply crosses the middleware boundary back into typed
    /// code. Middleware may replace either with a value of another type; that is a 500
    /// `TYPE_MISMATCH` framework error naming the operation and both types, never a crash.
    ///
    /// - Parameter role: what `value` is, for the message: `"request"` or `"reply"`.
    @inlinable
    public func typed<T>(_ value: any Sendable, as _: T.Type, role: String = "request") throws -> T {
        if let typed = value as? T { return typed }
        throw KratosError.typeMismatch(operation: operation, role: role, expected: T.self, found: Swift.type(of: value))
    }
}

extension KratosError {
    /// 500 `TYPE_MISMATCH`: middleware handed on a request or reply of another type than the
    /// operation's handler or caller takes.
    public static func typeMismatch(operation: String, role: String, expected: Any.Type, found: Any.Type) -> KratosError {
        .internalServer("TYPE_MISMATCH", "\(operation): the \(role) is \(found), not \(expected)")
    }
}
