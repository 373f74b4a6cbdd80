import Foundation

/// The `-conf` flag of a service: a file or directory of configuration, loaded into a typed
/// bootstrap configuration in one call.
///
/// ```swift
/// let (config, bootstrap) = try ConfigFlag.load(Bootstrap.self)   // reads -conf ./configs
/// ```
public enum ConfigFlag {
    /// The value of `-conf PATH`, `-conf=PATH`, `--conf PATH` or `--conf=PATH`, else `defaultPath`.
    public static func path(in arguments: [String] = CommandLine.arguments, default defaultPath: String = "./configs") -> String {
        var iterator = arguments.dropFirst().makeIterator()
        while let argument = iterator.next() {
            if argument == "-conf" || argument == "--conf" { return iterator.next() ?? defaultPath }
            for flag in ["-conf=", "--conf="] where argument.hasPrefix(flag) { return String(argument.dropFirst(flag.count)) }
        }
        return defaultPath
    }

    /// Loads the `-conf` path (plus environment variables with `environmentPrefixes`, which win)
    /// and decodes it as `T`. A `${VAR}` or `${VAR:default}` placeholder the files do not define
    /// takes the process environment's `VAR` (go-kratos users add `env.NewSource` for this).
    public static func load<T: Decodable>(_ type: T.Type, arguments: [String] = CommandLine.arguments,
                                          default defaultPath: String = "./configs",
                                          environmentPrefixes: [String] = [],
                                          environment: [String: String] = ProcessInfo.processInfo.environment) throws -> (Config, T) {
        var sources: [any ConfigSource] = [FileSource(path(in: arguments, default: defaultPath))]
        if !environmentPrefixes.isEmpty { sources.append(EnvironmentSource(prefixes: environmentPrefixes, environment: environment)) }
        let config = Config(sources: sources, environment: environment)
        try config.load()
        return (config, try config.decode(type))
    }
}
