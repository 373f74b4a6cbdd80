import Yams

extension ConfigValue {
    /// Parses one configuration document, YAML or JSON (YAML 1.1 reads JSON too); an empty
    /// document is `.null`.
    /// - Parameter source: names the document in the error a malformed one throws.
    public static func parse(document text: String, source: String) throws -> ConfigValue {
        do {
            return ConfigValue(any: try Yams.load(yaml: text))
        } catch {
            throw ConfigError.invalidSource(name: source, reason: "\(error)")
        }
    }
}
