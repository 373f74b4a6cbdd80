import KratosVersion

/// Kratos for Swift: the service runtime.
///
/// This core module holds what every service uses and needs no networking stack: the app
/// lifecycle, middleware, errors, encoding, config, logging and registry protocols. Transports
/// live in their own modules (`KratosHTTP` and `KratosGRPC`, each on SwiftNIO).
public enum Kratos {
    /// The runtime's version (the CLI's too: both read ``KratosVersion``).
    public static let version = KratosVersion.current
}
