#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The few files of `/proc` and `/sys/fs/cgroup` ``SystemCPUUsage`` reads; each reader answers
/// nil when its file is missing or not as expected (another OS, cgroup v1).
enum LinuxFiles {
    /// A small text file's contents.
    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count <= 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > 1 << 20 { break }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// This process's user and system CPU time, from `/proc/self/stat` (fields 14 and 15, in
    /// clock ticks, counted after the parenthesised command name, which may hold spaces).
    static func processTime() -> Duration? {
        guard let stat = read("/proc/self/stat"), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is the state (field 3), so utime (field 14) is fields[11].
        guard fields.count > 12, let user = Int64(fields[11]), let system = Int64(fields[12]) else { return nil }
        let ticks = Int64(sysconf(Int32(_SC_CLK_TCK)))
        guard ticks > 0 else { return nil }
        return .seconds(user + system) / Int(ticks)
    }

    /// The cgroup v2 directory of this process (`/proc/self/cgroup`'s `0::` line), when it has a
    /// `cpu.stat`.
    static func cgroupDirectory() -> String? {
        let relative = read("/proc/self/cgroup")?.split(separator: "\n")
            .first { $0.hasPrefix("0::") }.map { String($0.dropFirst(3)) }
        let candidates = [relative.map { "/sys/fs/cgroup" + ($0 == "/" ? "" : $0) }, "/sys/fs/cgroup"].compactMap { $0 }
        return candidates.first { access($0 + "/cpu.stat", R_OK) == 0 }
    }

    /// The cgroup's CPU time, `usage_usec` of its `cpu.stat`.
    static func cgroupUsage(in directory: String?) -> Duration? {
        guard let directory, let stat = read(directory + "/cpu.stat") else { return nil }
        for line in stat.split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == "usage_usec", let micros = Int64(parts[1]) {
                return .microseconds(micros)
            }
        }
        return nil
    }

    /// The cgroup's CPU quota in CPUs (`cpu.max` `QUOTA PERIOD`), nil when unlimited (`max`).
    static func cgroupQuota(in directory: String?) -> Double? {
        guard let directory, let text = read(directory + "/cpu.max") else { return nil }
        let parts = text.split(whereSeparator: { $0 == " " || $0 == "\n" })
        guard parts.count >= 2, let quota = Double(parts[0]), let period = Double(parts[1]), period > 0 else { return nil }
        return quota / period
    }

    /// How many CPUs this process may be scheduled on: `Cpus_allowed_list` of
    /// `/proc/self/status` (e.g. `0-3,6`), which `taskset` narrows.
    static func allowedCPUs() -> Int? {
        read("/proc/self/status").flatMap(allowedCPUs(inStatus:))
    }

    /// The count of `Cpus_allowed_list` in the text of a `/proc/<pid>/status`.
    static func allowedCPUs(inStatus status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed_list:") }) else { return nil }
        var count = 0
        for range in line.dropFirst("Cpus_allowed_list:".count).split(separator: ",") {
            let ends = range.split(separator: "-").compactMap { Int(String($0.filter { !$0.isWhitespace })) }
            switch ends.count {
            case 1: count += 1
            case 2 where ends[1] >= ends[0]: count += ends[1] - ends[0] + 1
            default: return nil
            }
        }
        return count > 0 ? count : nil
    }

    /// The machine's busy and total CPU time from `/proc/stat`'s `cpu` line (idle and iowait are
    /// not busy).
    static func machineTimes() -> CPUTimes? {
        guard let stat = read("/proc/stat"), let line = stat.split(separator: "\n").first(where: { $0.hasPrefix("cpu ") }) else { return nil }
        let values = line.split(separator: " ").dropFirst().compactMap { Int64($0) }
        guard values.count >= 5 else { return nil }
        let total = values.prefix(8).reduce(0, +)
        let idle = values[3] + values[4]
        let ticks = Int64(sysconf(Int32(_SC_CLK_TCK)))
        guard ticks > 0 else { return nil }
        return CPUTimes(used: .seconds(total - idle) / Int(ticks), available: .seconds(total) / Int(ticks))
    }
}
