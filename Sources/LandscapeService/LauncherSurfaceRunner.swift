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
    /// Exited 0 without writing what the job expects (a Hessian job's spectra, a study's file).
    case missing(command: String, what: String, stderrTail: String)
    case noRequest(surfaceIDs: [String])

    public var description: String {
        switch self {
        case let .cannotStart(command, detail):
            return "the launcher cannot start (\(command)): \(detail)"
        case let .exited(command, status, tail):
            return "the launcher (\(command)) \(status); finished points are saved. Its last output:\n\(tail)"
        case let .incomplete(command, computed, total, tail):
            return "the launcher (\(command)) exited 0 with \(computed) of \(total) points saved. Its last output:\n\(tail)"
        case let .missing(command, what, tail):
            return "the launcher (\(command)) exited 0 without writing \(what). Its last output:\n\(tail)"
        case let .noRequest(ids):
            return "no request was prepared for surfaces \(ids.joined(separator: ", ")) (a bug: the planner prepares every job)"
        }
    }
}

/// Runs each job as `<launcher> <landscape> ... --spec FILE.json`: the request is written once,
/// by the library (`SurfaceSpec.json()`, `HessianSpec.json()`, `SeedStudySpec.json()`), and
/// decoded by the CLI as the API decodes it. A surface job runs `surface --spec FILE --out STORE`,
/// a study job `surface --spec FILE --out STORE --study FILE` (the spec has `seeds`), a Hessian job
/// `hessian --spec FILE --out FOLDER --no-pictures --progress FILE`. Progress comes from what the run writes:
/// the surface store after every point (rank 0 alone, under MPI; a `SurfaceFollower` turns the
/// saved points into a surface job's events, the seeds' surfaces into a study's progress) or a
/// Hessian run's progress file. Cancel sends SIGTERM to the launcher's process group (the run
/// saves and stops; mpirun passes it to its ranks), SIGKILL after `cancelGrace`; anything of the
/// group still alive when the launcher is gone is killed too. A rerun of the same request resumes
/// from the saved points.
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
        let follower = try SurfaceFollower(computation: computation)
        try launch(name: job.id, spec: try spec.json(), cancel: job.cancelFlag, arguments: { specFile, _ in
            ["surface", "--spec", specFile, "--out", computation.store.directory.path,
             "--threads", String(threads), "--convolution", computation.evaluator.convolutionArgument]
        }, follow: { _ in
            for step in try follower.poll() { job.recordPoint(step) }
        }, check: { tail in
            guard follower.isComplete else {
                let computed = follower.surfacesSoFar.reduce(0) { $0 + $1.progress.computed }
                throw LauncherError.incomplete(command: launcher.command, computed: computed, total: follower.total, stderrTail: tail)
            }
        })
    }

    public func run(_ work: HessianJobWork, cancel: CancellationFlag, onProgress: (ProgressReport) -> Void) throws {
        var last: ProgressReport?
        try launch(name: "hessian-\(work.id)", spec: try work.request.json(), cancel: cancel, arguments: { specFile, directory in
            ["hessian", "--spec", specFile, "--out", work.folder.path, "--threads", String(threads), "--no-pictures",
             "--progress", directory.appendingPathComponent("progress.json").path]
        }, follow: { directory in
            guard let report = try ProgressFile.read(directory.appendingPathComponent("progress.json")), report != last else { return }
            last = report
            if let overall = work.jobReport(launched: report) { onProgress(overall) }
        }, check: { tail in
            let missing = work.files.filter { !FileManager.default.fileExists(atPath: work.folder.appendingPathComponent($0).path) }
            if !missing.isEmpty {
                throw LauncherError.missing(command: launcher.command, what: missing.joined(separator: ", "), stderrTail: tail)
            }
        })
    }

    public func run(_ work: StudyJobWork, cancel: CancellationFlag, onProgress: (ProgressReport) -> Void) throws {
        var seen: [String: Int] = [:]
        var complete = Set<String>()
        let start = Date()
        var firstDone: Int?
        try launch(name: "study-\(work.id)", spec: try work.request.json(), cancel: cancel, arguments: { specFile, _ in
            ["surface", "--spec", specFile, "--out", work.surfaceStore.directory.path, "--study", work.store.url(work.id).path,
             "--threads", String(threads), "--convolution", work.algorithm.rawValue]
        }, follow: { _ in
            // The seeds' surfaces as saved so far (a complete one is read once); a report when any grew.
            var grown: (seed: UInt64, model: String)?
            for (index, ids) in work.idsBySeed.enumerated() {
                for id in ids where !complete.contains(id) {
                    guard let surface = try work.surfaceStore.load(id: id) else { continue }
                    if surface.progress.computed != seen[id] { grown = (work.computation.seeds[index], surface.model.name) }
                    seen[id] = surface.progress.computed
                    if surface.progress.computed == surface.progress.total { complete.insert(id) }
                }
            }
            guard let grown else { return }
            let done = seen.values.reduce(0, +)
            if firstDone == nil { firstDone = done }
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(done - (firstDone ?? done)) / max(elapsed, 1e-9)
            onProgress(ProgressReport(label: "seed \(grown.seed) · \(grown.model)", done: done, total: work.total, elapsedSeconds: elapsed,
                                      rate: rate, etaSeconds: rate > 0 ? Double(work.total - done) / rate : nil))
        }, check: { tail in
            guard try work.store.study(work.id) != nil else {
                throw LauncherError.missing(command: launcher.command, what: work.store.url(work.id).path, stderrTail: tail)
            }
        })
    }

    /// The one launch loop of every job kind: writes the request to a work folder, starts
    /// `<launcher> <landscape> arguments(specFile, folder)`, calls `follow(folder)` every poll
    /// interval and once more after the run ends, signals the group on cancel, and judges the end:
    /// cancelled, failed (its exit status and last output), or `check(lastOutput)` on success.
    private func launch(name: String, spec: Data, cancel: CancellationFlag, arguments: (String, URL) -> [String],
                        follow: (URL) throws -> Void, check: (String) throws -> Void) throws {
        let workDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-launch-\(name)")
        try FileManager.default.createDirectory(at: workDirectory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: workDirectory) }
        let specFile = workDirectory.appendingPathComponent("spec.json")
        try spec.write(to: specFile, options: .atomic)
        let log = workDirectory.appendingPathComponent("output.log")
        let child = try LaunchedGroup(command: launcher.command, arguments: [launcher.executable] + arguments(specFile.path, workDirectory),
                                      log: log.path)
        var cancelledAt: Date?
        var killed = false
        while true {
            if cancel.isCancelled, cancelledAt == nil {
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
                try follow(workDirectory)
                if cancelledAt != nil { throw EngineError.cancelled }
                let tail = Self.tail(of: log)
                guard status.succeeded else {
                    throw LauncherError.exited(command: launcher.command, status: status.description, stderrTail: tail)
                }
                return try check(tail)
            }
            try follow(workDirectory)
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

    private typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: AddCloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: AddCloseFrom.self)
    }()

    init(command: String, arguments: [String], log: String) throws {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of this process goes with the run: an inherited socket (a connection the server
        // just accepted, a client's end in the same process) would stay open in mpirun and its ranks for
        // the whole job, so the peer never saw its close and a request hung until the run ended.
        // (glibc 2.34+; looked up at run time: the Glibc module does not import it.)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
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
