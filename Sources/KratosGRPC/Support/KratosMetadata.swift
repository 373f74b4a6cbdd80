import Kratos

/// The framework's ``Kratos/Metadata`` under a name that does not clash with GRPCCore's
/// `Metadata` in files that import both.
typealias KratosMetadata = Metadata
