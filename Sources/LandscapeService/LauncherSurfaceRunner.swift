import Foundation
import Landscape
import LandscapeEngine

/// `serve --launcher 'mpirun -n 16 --hostfile hosts'` (any command prefix: `srun -N 4`, a
/// wrapper script): how to start a surface job elsewhere.
public struct Launcher: Sendable, Equatable {
    /// The prefix, read by /bin/sh (quotes and variables work as in a shell; it comes from the
    /// operator's command line, never from a request).
    public var command: String
    /// The `landscape` binary the launcher starts (this one, for `serve`).
    public var executable: String
    /// After SIGTERM to the launcher's process group, seconds before SIGKILL.
    public var cancelGrace: TimeInterval
    /// Seconds between reads of the store while the run goes on.
    public var pollInterval: TimeInterval

    public init(command: String, executable: String, cancelGrace: TimeInterval = 10, pollInterval: TimeInterval = 0.2) {
        self.command = command; self.executable = executable; self.cancelGrace = cancelGrace; self.pollInterval = pollInterval
    }

    /// This process's own binary (Linux: /proc/self/exe), for `serve`.
    public static var currentExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}

/// Why a job run through the launcher failed.
public enum LauncherError: Error, CustomStringConvertible, Equatable {
    case cannotStart(command: String, detail: String)
    case exited(command: String, status: String, stderrTail: String)
    case incomplete(command: String, computed: Int, total: Int, stderrTail: String)
    case noRequest(surfaceIDs: [String])

    public var description: String {
        switch self {
        case let .cannotStart(command, detail):
            return "the launcher cannot start (\(command)): \(detail)"
        case let .exited(command, status, tail):
            return "the launcher (\(command)) \(status); finished points are saved. Its last output:\n\(tail)"
        case let .incomplete(command, computed, total, tail):
            return "the launcher (\(command)) exited 0 with \(computed) of \(total) points saved. Its last output:\n\(tail)"
        case let .noRequest(ids):
            return "no request was prepared for surfaces \(ids.joined(separator: ", ")) (a bug: the planner prepares every job)"
        }
    }
}

/// Runs each job as `<launcher> <landscape> surface --spec FILE.json --out STORE`: the request is
/// written once, by the library (`SurfaceSpec.json()`), and decoded by the CLI as the API decodes
/// it. The run writes the service's store after every point (rank 0 alone, under MPI); a
/// `SurfaceFollower` turns the saved points into the job's events, as for a local job. Cancel
/// sends SIGTERM to the launcher's process group (the run saves and stops; mpirun passes it to its
/// ranks), SIGKILL after `cancelGrace`; anything of the group still alive when the launcher is
/// gone is killed too. A rerun of the same request resumes from the saved points.
public final class LauncherSurfaceRunner: SurfaceJobRunner, @unchecked Sendable {
    public let launcher: Launcher
    public let threads: Int
    private let lock = NSLock()
    private var requests: [[String]: SurfaceSpec] = [:]

    public init(_ launcher: Launcher, threads: Int) {
        self.launcher = launcher
        self.threads = threads
    }

    public func prepare(_ spec: SurfaceSpec, surfaceIDs: [String]) throws {
        lock.lock(); defer { lock.unlock() }
        requests[surfaceIDs] = spec
    }

    /// Lines of the run's output quoted in a failure.
    static let tailLines = 20

    public func run(_ computation: SurfaceComputation, for job: Job) throws {
        lock.lock()
        let spec = requests.removeValue(forKey: job.surfaceIDs)
        lock.unlock()
        guard let spec else { throw LauncherError.noRequest(surfaceIDs: job.surfaceIDs) }
        let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-launch-\(job.id)")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workDirectory) }
        let specFile = workDirectory.appendingPathComponent("spec.json")
        try spec.json().write(to: specFile, options: .atomic)
        let log = workDirectory.appendingPathComponent("output.log")
        let arguments = [launcher.executable, "surface", "--spec", specFile.path, "--out", computation.store.directory.path,
                         "--threads", String(threads), "--convolution", computation.evaluator.algorithm.effective.rawValue]
        let follower = try SurfaceFollower(computation: computation)
        let child = try LaunchedGroup(command: launcher.command, arguments: arguments, log: log.path)
        var cancelledAt: Date?
        var killed = false
        while true {
            if job.cancelFlag.isCancelled, cancelledAt == nil {
                cancelledAt = Date()
                child.signal(SIGTERM)
            }
            if let at = cancelledAt, !killed, Date().timeIntervalSince(at) > launcher.cancelGrace {
                child.signal(SIGKILL)
                killed = true
            }
            if let status = child.poll() {
                // Whatever of its group outlived the launcher (a rank mpirun did not reap) goes with it.
                child.signal(SIGKILL)
                for step in try follower.poll() { job.recordPoint(step) }
                if cancelledAt != nil { throw EngineError.cancelled }
                let tail = Self.tail(of: log)
                guard status.succeeded else {
                    throw LauncherError.exited(command: launcher.command, status: status.description, stderrTail: tail)
                }
                guard follower.isComplete else {
                    let computed = follower.surfacesSoFar.reduce(0) { $0 + $1.progress.computed }
                    throw LauncherError.incomplete(command: launcher.command, computed: computed, total: follower.total, stderrTail: tail)
                }
                return
            }
            for step in try follower.poll() { job.recordPoint(step) }
            Thread.sleep(forTimeInterval: launcher.pollInterval)
        }
    }

    /// The last lines of the run's output (the progress bar's carriage-return frames dropped).
    static func tail(of log: URL) -> String {
        guard let data = try? Data(contentsOf: log) else { return "(no output)" }
        let lines = String(decoding: data.suffix(64 << 10), as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: true)
            .map { $0.split(separator: "\r").last.map(String.init) ?? "" }.filter { !$0.isEmpty }
        return lines.isEmpty ? "(no output)" : lines.suffix(tailLines).joined(separator: "\n")
    }
}

/// `/bin/sh -c 'exec <command> "$@"' <arguments>` in a process group of its own, output to a
/// file, signals at their defaults (the server ignores some; a launcher must not inherit that).
final class LaunchedGroup {
    let pid: pid_t
    private var finished: ExitStatus?

    struct ExitStatus: CustomStringConvertible {
        let raw: Int32
        /// Reaped by someone else in this process (a SIGCHLD handler that waits for every child):
        /// the run is judged by the points it saved.
        var unknown = false
        var succeeded: Bool { unknown || (raw & 0x7f == 0 && (raw >> 8) & 0xff == 0) }
        var description: String {
            if unknown { return "ended (its exit status was collected elsewhere in this process)" }
            let signal = raw & 0x7f
            return signal == 0 ? "exited with status \((raw >> 8) & 0xff)" : "was killed by signal \(signal)"
        }
    }

    init(command: String, arguments: [String], log: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGQUIT, SIGCHLD] { sigaddset(&defaults, signal) }
        var mask = sigset_t()
        sigemptyset(&mask)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setsigmask(&attributes, &mask)
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))
        let argv = ["/bin/sh", "-c", "exec \(command) \"$@\"", "landscape-launcher"] + arguments
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for pointer in cArguments { free(pointer) } }
        // The service's environment, less any MPI launch of its own (a server started by mpirun).
        let environment = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("OMPI_") && !$0.key.hasPrefix("PMIX_") }
            .map { "\($0.key)=\($0.value)" }
        var cEnvironment = environment.map { strdup($0) } + [nil]
        defer { for pointer in cEnvironment { free(pointer) } }
        var child: pid_t = 0
        let code = posix_spawn(&child, "/bin/sh", &actions, &attributes, &cArguments, &cEnvironment)
        guard code == 0 else {
            throw LauncherError.cannotStart(command: command, detail: "posix_spawn /bin/sh: \(String(cString: strerror(code)))")
        }
        pid = child
    }

    /// The exit status once the launcher has ended (reaped here), nil while it runs.
    func poll() -> ExitStatus? {
        if let finished { return finished }
        var status: Int32 = 0
        let result = waitpid(pid, &status, WNOHANG)
        if result == -1 && errno == ECHILD {
            finished = ExitStatus(raw: 0, unknown: true)
            return finished
        }
        guard result == pid else { return nil }
        finished = ExitStatus(raw: status)
        return finished
    }

    /// Signals the whole process group (the launcher and whatever it started there).
    func signal(_ signal: Int32) { kill(-pid, signal) }

    deinit {
        if finished == nil {
            kill(-pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
    }
}
