#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// Cumulative CPU time: how much was used and how much could have been, both since the same
/// start. A limiter's CPU usage is the ratio of their increases between two readings.
public struct CPUTimes: Sendable, Hashable {
    public var used: Duration
    public var available: Duration

    public init(used: Duration, available: Duration) {
        self.used = used
        self.available = available
    }

    /// The usage between `earlier` and this reading in per mille (0 to 1000), nil when no time
    /// was available in between.
    public func usage(since earlier: CPUTimes) -> Int? {
        let available = self.available - earlier.available
        guard available > .zero else { return nil }
        let ratio = max(.zero, used - earlier.used) / available
        return Int((min(1, ratio) * 1000).rounded())
    }
}

/// Where ``BBRLimiter`` reads CPU usage from; replace it in tests or on other platforms.
public protocol CPUUsageSource: Sendable {
    /// The CPU times now, or nil when they cannot be read (the limiter then keeps its last value).
    func read() -> CPUTimes?
}

/// The CPU usage of this server on Linux, measured against the CPUs it may run on.
///
/// - ``Scope/process`` (the default): this process's CPU time (`/proc/self/stat`) against the
///   wall time multiplied by the CPUs it may use: the fewer of its scheduler affinity
///   (`Cpus_allowed_list`, what `taskset` sets) and its cgroup v2 quota (`cpu.max`). A server
///   pinned to one core of a two-core machine reaches 1000‰ when it saturates that core, whatever
///   the other core does.
/// - ``Scope/cgroup``: the CPU time of the whole cgroup (`cpu.stat` `usage_usec`) against the same
///   capacity, as aegis reads it in a container, so other processes of the container count too;
///   without cgroup v2, the machine's busy time from `/proc/stat`.
public struct SystemCPUUsage: CPUUsageSource {
    public enum Scope: Sendable, Hashable {
        case process
        case cgroup
    }

    public let scope: Scope
    private let state: Shared

    public init(scope: Scope = .process) {
        self.scope = scope
        state = Shared()
    }

    private final class Shared: Sendable {
        /// The wall time last read, and the CPU time available up to it.
        let clock = Mutex<(wall: ContinuousClock.Instant, available: Duration)>((ContinuousClock.now, .zero))
    }

    public func read() -> CPUTimes? {
        if scope == .cgroup, cgroupDirectory == nil {
            return LinuxFiles.machineTimes()
        }
        let used = scope == .process ? LinuxFiles.processTime() : LinuxFiles.cgroupUsage(in: cgroupDirectory)
        guard let used else { return nil }
        let cores = capacity
        let available = state.clock.withLock { clock in
            let now = ContinuousClock.now
            clock.available += (now - clock.wall) * cores
            clock.wall = now
            return clock.available
        }
        return CPUTimes(used: used, available: available)
    }

    /// How many CPUs this process may use: the fewer of its affinity and its cgroup quota.
    public var capacity: Double {
        let affinity = LinuxFiles.allowedCPUs().map(Double.init) ?? Double(max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        guard let quota = LinuxFiles.cgroupQuota(in: cgroupDirectory) else { return affinity }
        return max(0.01, min(affinity, quota))
    }

    private var cgroupDirectory: String? { LinuxFiles.cgroupDirectory() }
}
