/// The version of kratos-swift, written once: the runtime (`Kratos.version`) and the CLI
/// (`kratos --version`) both read it. A module of its own, with no dependencies, so the CLI can
/// use it without compiling the runtime.
public enum KratosVersion {
    public static let current = "0.1.0"
}
