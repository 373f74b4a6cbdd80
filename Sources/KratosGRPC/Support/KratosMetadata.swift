import Kratos

/// The framework's ``Kratos/Metadata`` (`x-md-*` keys) under a name that reads apart from gRPC
/// metadata (every request header) in this module.
typealias KratosMetadata = Metadata
