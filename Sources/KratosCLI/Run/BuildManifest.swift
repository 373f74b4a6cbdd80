import Foundation

/// The build graph SwiftPM hands llbuild (`<scratch>/debug.yaml`): one entry per command, with
/// its tool, input and output files, and for `shell` commands the argument vector it runs.
///
/// Read only as far as ``QuickBuild`` needs: the `commands:` section, whose entries SwiftPM writes
/// one key per line with JSON-compatible strings and string lists. A line it cannot read makes
/// the whole manifest unreadable (nil), so a format change costs speed, never correctness.
struct BuildManifest: Sendable {
    struct Command: Codable, Equatable, Sendable {
        var name: String
        var tool: String
        var inputs: [String]
        var outputs: [String]
        var args: [String]
        var description: String
    }

    var commands: [String: Command]

    /// Reads the manifest at `url`; nil when it is missing or not in the expected shape.
    static func read(_ url: URL) -> BuildManifest? {
        guard let data = try? Data(contentsOf: url), let text = String(data: data, encoding: .utf8) else { return nil }
        return parse(text)
    }

    static func parse(_ text: String) -> BuildManifest? {
        var commands: [String: Command] = [:]
        var current: Command?
        var inCommands = false
        let decoder = JSONDecoder()
        func finish() {
            if let command = current { commands[command.name] = command }
            current = nil
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if !line.hasPrefix(" ") {
                finish()
                inCommands = line == "commands:"
                continue
            }
            guard inCommands else { continue }
            if line.hasPrefix("  \""), line.hasSuffix("\":"), !line.hasPrefix("   ") {
                finish()
                guard let name = try? decoder.decode(String.self, from: Data(line.dropFirst(2).dropLast().utf8)) else { return nil }
                current = Command(name: name, tool: "", inputs: [], outputs: [], args: [], description: "")
                continue
            }
            guard line.hasPrefix("    "), current != nil, let colon = line.firstIndex(of: ":") else { continue }
            let key = line[line.index(line.startIndex, offsetBy: 4)..<colon]
            let value = Data(line[line.index(after: colon)...].drop { $0 == " " }.utf8)
            switch key {
            case "tool":
                current?.tool = String(decoding: value, as: UTF8.self)
            case "inputs", "outputs", "args":
                // `args` is a list for the commands SwiftPM runs itself; a string elsewhere (kept empty).
                guard value.first == UInt8(ascii: "[") else {
                    if key != "args" { return nil }
                    continue
                }
                guard let list = try? decoder.decode([String].self, from: value) else { return nil }
                if key == "inputs" { current?.inputs = list } else if key == "outputs" { current?.outputs = list } else { current?.args = list }
            case "description":
                current?.description = (try? decoder.decode(String.self, from: value)) ?? ""
            default:
                continue
            }
        }
        finish()
        return commands.isEmpty ? nil : BuildManifest(commands: commands)
    }
}
