import Foundation

/// What `kratos run` learns about a package from SwiftPM — its executables and where `swift
/// build` puts them — kept in `.build/kratos-run.json` and valid while Package.swift is
/// unchanged, so running again asks SwiftPM nothing but the build (each question costs a second
/// or more of package loading).
struct RunCache: Codable, Equatable {
    /// The package root it was learned for: a project copied or moved with its .build is asked again.
    var root: String
    /// Package.swift's modification time and size when this was learned.
    var manifest: String
    var executables: [String]
    /// `swift build --show-bin-path` by build directory ("" for the package's own), once known.
    var binPaths: [String: String] = [:]

    static func file(in root: URL) -> URL {
        root.appendingPathComponent(".build/kratos-run.json")
    }

    /// Package.swift's fingerprint: modification time and size.
    static func manifestStamp(in root: URL) -> String {
        let manifest = root.appendingPathComponent("Package.swift")
        let values = try? manifest.resourceValues(forKeys: [.contentModificationDateKey, .fileSizeKey])
        return "\(values?.contentModificationDate?.timeIntervalSince1970 ?? 0):\(values?.fileSize ?? 0)"
    }

    /// The cache for the package as it is now, or nil when there is none or Package.swift changed.
    static func load(in root: URL) -> RunCache? {
        guard let data = try? Data(contentsOf: file(in: root)),
              let cache = try? JSONDecoder().decode(RunCache.self, from: data),
              cache.root == root.standardizedFileURL.path, cache.manifest == manifestStamp(in: root) else { return nil }
        return cache
    }

    /// Writes the cache through a temporary file; a cache that cannot be written is only slower.
    func save(in root: URL) {
        guard let data = try? JSONEncoder().encode(self) else { return }
        FileSystem.writeCache(data, to: Self.file(in: root))
    }
}
