import Foundation

/// The package root: the nearest directory with a Package.swift, from `start` up to 5 parents.
enum ProjectRoot {
    static func find(from start: URL) -> URL? {
        var directory = start.standardizedFileURL
        for _ in 0...5 {
            if FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { return directory }
            let parent = directory.deletingLastPathComponent()
            if parent.path == directory.path { return nil }
            directory = parent
        }
        return nil
    }
}
