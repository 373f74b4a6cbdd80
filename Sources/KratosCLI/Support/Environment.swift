import Foundation

/// What a command reads from its surroundings, gathered once so commands are testable in-process.
public struct Environment: Sendable {
    public var variables: [String: String]
    public var currentDirectory: URL
    public var terminal: Terminal

    public init(
        variables: [String: String] = ProcessInfo.processInfo.environment,
        currentDirectory: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath, isDirectory: true)
    ) {
        self.variables = variables
        self.currentDirectory = currentDirectory
        self.terminal = Terminal(environment: variables)
    }

    /// The user's home directory: `$HOME`, else the password database.
    public var home: URL {
        if let home = variables["HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home, isDirectory: true)
        }
        return FileManager.default.homeDirectoryForCurrentUser
    }

    /// `$KRATOS_HOME`, default `~/.kratos`: the template cache and installed tools live here.
    public var kratosHome: URL {
        if let dir = variables["KRATOS_HOME"], !dir.isEmpty {
            return resolve(dir)
        }
        return home.appendingPathComponent(".kratos", isDirectory: true)
    }

    /// `path` made absolute: `~/x` expands to the home directory, relative paths start at the
    /// current directory. A bare `~` is the home directory itself.
    public func resolve(_ path: String) -> URL {
        var expanded = path
        if expanded == "~" {
            return home
        }
        if expanded.hasPrefix("~/") {
            expanded = home.path + expanded.dropFirst(1)
        }
        let url = expanded.hasPrefix("/")
            ? URL(fileURLWithPath: expanded)
            : currentDirectory.appendingPathComponent(expanded)
        return url.standardizedFileURL
    }
}
