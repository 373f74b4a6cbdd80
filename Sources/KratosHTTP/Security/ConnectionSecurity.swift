import KratosNIO

/// Security on the server's connections (TLS from `KratosTLS`); see `KratosNIO.ConnectionSecurity`.
public typealias ConnectionSecurity = KratosNIO.ConnectionSecurity
