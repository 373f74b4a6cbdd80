import Foundation
import PackagePlugin

/// Embeds the package's `Templates/` directory into the target it is applied to.
///
/// Every template file is an input of the build command, so editing a template rebuilds the
/// embedded copy and nothing else.
@main
struct EmbedTemplates: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) async throws -> [Command] {
        let templates = context.package.directoryURL.appending(path: "Templates")
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedTemplates.swift")
        return [
            .buildCommand(
                displayName: "Embedding project templates",
                executable: try context.tool(named: "kratos-embed-templates").url,
                arguments: [templates.path(percentEncoded: false), output.path(percentEncoded: false)],
                inputFiles: Self.files(under: templates),
                outputFiles: [output]
            )
        ]
    }

    /// All files below `root`, skipping build folders of templates built in place.
    static func files(under root: URL) -> [URL] {
        guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: [.isRegularFileKey]) else {
            return []
        }
        var files: [URL] = [root]
        for case let url as URL in walker {
            let name = url.lastPathComponent
            if name.hasPrefix(".build") || name == ".swiftpm" || name == ".git" {
                walker.skipDescendants()
                continue
            }
            files.append(url)
        }
        return files
    }
}
