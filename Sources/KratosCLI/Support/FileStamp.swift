#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file's identity for "has it changed?": modification time (ns), size and inode, as a build
/// system compares them. Missing files have no stamp.
struct FileStamp: Hashable, Codable, Sendable {
    var text: String

    init(text: String) { self.text = text }

    /// The stamp of the file at `path` (followed through symlinks), or nil when there is none.
    init?(path: String) {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        #if canImport(Glibc)
        let seconds = Int64(info.st_mtim.tv_sec), nanoseconds = Int64(info.st_mtim.tv_nsec)
        #elseif canImport(Darwin)
        let seconds = Int64(info.st_mtimespec.tv_sec), nanoseconds = Int64(info.st_mtimespec.tv_nsec)
        #endif
        text = "\(seconds).\(nanoseconds):\(info.st_size):\(info.st_ino)"
    }

    init(from decoder: any Decoder) throws {
        text = try decoder.singleValueContainer().decode(String.self)
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(text)
    }
}
