import Foundation
import Landscape

/// `--profile`: a command's phases (`SurfaceProfile`) timed from the moment the process
/// started (before a re-execution for OpenBLAS, `BLASCoreReexec`, which keeps the process),
/// printed to stderr at the end as a table and one line of JSON.
final class CommandProfile {
    let phases = SurfaceProfile()
    /// When this object was made, and how long the process had run by then.
    private let created = DispatchTime.now().uptimeNanoseconds
    private let beforeCreated: Double

    init() {
        beforeCreated = Self.secondsSinceProcessStart() ?? 0
        phases.add(.processStart, beforeCreated)
    }

    /// Wall seconds since the process started.
    var wall: Double { beforeCreated + Double(DispatchTime.now().uptimeNanoseconds - created) / 1e9 }

    func print() {
        let wall = self.wall
        FileHandle.standardError.write(Data((phases.table(wall: wall) + "\nprofile JSON: " + phases.json(wall: wall) + "\n").utf8))
    }

    /// Seconds since this process started (Linux: /proc, in clock ticks of 10 ms), nil elsewhere.
    static func secondsSinceProcessStart() -> Double? {
        #if os(Linux)
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
              let uptime = try? String(contentsOfFile: "/proc/uptime", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        // Fields after the command name (which may hold spaces) start at field 3; starttime is field 22.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 19, let ticks = Double(fields[19]),
              let now = uptime.split(separator: " ").first.flatMap({ Double($0) }) else { return nil }
        return max(0, now - ticks / Double(sysconf(Int32(_SC_CLK_TCK))))
        #else
        return nil
        #endif
    }
}

extension Optional where Wrapped == CommandProfile {
    /// Runs `body`, adding its wall time to `phase` when profiling.
    func timed<T>(_ phase: SurfaceProfile.Phase, _ body: () throws -> T) rethrows -> T {
        guard let profile = self else { return try body() }
        return try profile.phases.measure(phase, body)
    }
}
