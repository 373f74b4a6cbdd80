import Foundation

/// File-system steps the CLI uses to write atomically and leave nothing behind on failure.
enum FileSystem {
    /// Writes a cache file through a temporary file renamed into place, creating its directory;
    /// a cache that cannot be written is only slower, so failures are ignored.
    static func writeCache(_ data: Data, to target: URL) {
        let directory = target.deletingLastPathComponent()
        guard (try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)) != nil else { return }
        let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).\(UUID().uuidString.prefix(8))")
        guard (try? data.write(to: temporary)) != nil else { return }
        if rename(temporary.path, target.path) != 0 { try? FileManager.default.removeItem(at: temporary) }
    }

    /// Creates `directory` and its missing parents; returns the ones it created, outermost first.
    static func createDirectories(_ directory: URL) throws -> [URL] {
        var missing: [URL] = []
        var current = directory.standardizedFileURL
        while !FileManager.default.fileExists(atPath: current.path), current.path != "/" {
            missing.insert(current, at: 0)
            current = current.deletingLastPathComponent()
        }
        for dir in missing {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: false)
        }
        return missing
    }

    /// Removes `directories` (innermost first) as long as they are empty.
    static func removeEmpty(_ directories: [URL]) {
        for dir in directories.reversed() {
            guard (try? FileManager.default.contentsOfDirectory(atPath: dir.path))?.isEmpty == true else { return }
            try? FileManager.default.removeItem(at: dir)
        }
    }

    /// Whether `url` is absent, or an empty directory.
    static func isAbsentOrEmptyDirectory(_ url: URL) -> Bool {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            return (try? FileManager.default.destinationOfSymbolicLink(atPath: url.path)) == nil
        }
        return isDirectory.boolValue && ((try? FileManager.default.contentsOfDirectory(atPath: url.path))?.isEmpty ?? false)
    }

    /// Writes `files` below `root`, which must exist.
    static func write(_ files: [TemplateFile], into root: URL) throws {
        let fm = FileManager.default
        for file in files {
            let url = root.appendingPathComponent(file.path)
            try fm.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            switch file.mode {
            case .symlink:
                try fm.createSymbolicLink(atPath: url.path, withDestinationPath: String(decoding: file.contents, as: UTF8.self))
            case .regular, .executable:
                let permissions = file.mode == .executable ? 0o755 : 0o644
                guard fm.createFile(atPath: url.path, contents: Data(file.contents), attributes: [.posixPermissions: permissions]) else {
                    throw CLIError.failure("cannot write \(url.path)", fix: "check that the directory is writable and the disk has room")
                }
            }
        }
    }

    /// Moves the finished `staging` directory to `destination`. An existing destination (allowed
    /// only when empty or with `--force`) is moved aside first and removed once the move succeeded,
    /// or put back when it failed.
    static func replace(_ destination: URL, with staging: URL) throws {
        let fm = FileManager.default
        let exists = fm.fileExists(atPath: destination.path) || (try? fm.destinationOfSymbolicLink(atPath: destination.path)) != nil
        guard exists else {
            try fm.moveItem(at: staging, to: destination)
            return
        }
        let aside = destination.deletingLastPathComponent()
            .appendingPathComponent(".kratos-old-\(destination.lastPathComponent)-\(UUID().uuidString.prefix(8))")
        try fm.moveItem(at: destination, to: aside)
        do {
            try fm.moveItem(at: staging, to: destination)
        } catch {
            try? fm.moveItem(at: aside, to: destination)
            throw error
        }
        try? fm.removeItem(at: aside)
    }
}
