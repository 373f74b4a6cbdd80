import ArgumentParser

/// `kratos completion SHELL`: prints a shell completion script.
struct Completion: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the shell completion script for bash, zsh or fish.",
        discussion: """
            Examples:
              source <(kratos completion bash)
              kratos completion zsh > "${fpath[1]}/_kratos"
              kratos completion fish > ~/.config/fish/completions/kratos.fish
            """
    )

    @Argument(help: "bash, zsh or fish.")
    var shell: String

    func run() throws {
        guard let kind = CompletionShell(rawValue: shell) else {
            throw CLIError.usage("unknown shell \"\(shell)\"", fix: "use one of: bash, zsh, fish")
        }
        Terminal(environment: [:]).write(KratosCommand.completionScript(for: kind))
    }
}
