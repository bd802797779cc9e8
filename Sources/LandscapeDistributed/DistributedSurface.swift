import Foundation
import Landscape
import LandscapeEngine

/// `mpirun -n N landscape surface ...`: every rank runs the same command. Rank 0
/// builds the computation (directions generated once, here), sends the directions
/// to the workers, and runs `SurfaceComputation.run` with an `MPITaskRunner`: the
/// one surface loop, the one store, written by rank 0 alone after every point.
/// Workers build the same computation from those directions and evaluate the points
/// they are handed until told to stop.
public enum DistributedSurface {
    /// Seconds a rank may stay silent before the run stops naming it (`--rank-timeout`).
    /// Rank 0's own set-up (reading the model and the images) must fit in it too, as workers
    /// wait that long for their directions.
    public static let defaultRankTimeout = 120.0

    /// Builds the computation; given the directions rank 0 made (on workers) or nil (on rank 0).
    public typealias Build = ([(x: Direction, y: Direction?)]?) throws -> SurfaceComputation
    /// Builds computation `index` of a run of several (a seed study's seed at that position), from
    /// rank 0's directions (workers) or nil (rank 0).
    public typealias SeriesBuild = (_ index: Int, _ shared: [(x: Direction, y: Direction?)]?) throws -> SurfaceComputation

    /// Runs this rank's part. On rank 0, `coordinate` gets the computation and the runner to pass
    /// to `run(on:)` (the CLI adds its progress bar and Ctrl-C handling there); workers return
    /// when rank 0 says stop. A dead or hung rank, or one that fails, ends the run on rank 0
    /// with a `DistributedError` naming it, printed before MPI_Abort ends every rank.
    public static func run(launch: MPILaunch, rankTimeout: Double = defaultRankTimeout, build: Build,
                           coordinate: (SurfaceComputation, any SurfaceTaskRunner) throws -> Void) throws {
        try runSeries(launch: launch, rankTimeout: rankTimeout, build: { _, shared in try build(shared) }) { build, runner in
            // Built and set up on every rank before the first point, as a single surface always was.
            let computation = try build(0)
            try runner.start(computation, index: 0)
            try coordinate(computation, runner)
        }
    }

    /// Several computations in one MPI run, one after another through the same coordinator and
    /// workers (a seed study: each seed's surfaces in turn, every seed's points spread over the
    /// ranks). On rank 0 `coordinate` gets `build` (computation i, its directions drawn here) and
    /// the runner for `SurfaceComputation.run(on:)`: the first time a computation with missing
    /// points runs, its directions go to the workers, which build the same computation i and say
    /// ready (a computation already complete costs the workers nothing). Workers return when rank
    /// 0 says stop. Failures as for `run`.
    public static func runSeries(launch: MPILaunch, rankTimeout: Double = defaultRankTimeout, build: SeriesBuild,
                                 coordinate: (_ build: (Int) throws -> SurfaceComputation, _ runner: MPITaskRunner) throws -> Void) throws {
        let mpi = try MPIProcess(launch: launch)
        if mpi.rank != 0 {
            mpi.runWorker { try SurfaceWorker(mpi: mpi, rankTimeout: rankTimeout).serve(build: build) }
            return
        }
        let coordinator = MPITaskRunner(mpi: mpi, rankTimeout: rankTimeout)
        do {
            try withoutActuallyEscaping(build) { build in
                try coordinate({ index in
                    do {
                        let computation = try build(index, nil)
                        coordinator.built = (computation, index)
                        return computation
                    } catch where coordinator.built == nil {
                        throw StartFailure(error: error)
                    }
                }, coordinator)
            }
            coordinator.stopAll(reason: "done")
            FileHandle.standardError.write(Data("landscape: \(coordinator.trafficSummary)\n".utf8))
            mpi.finalize()
        } catch let failure as StartFailure {
            // Rank 0 could not build its first computation (a bad file): nothing ran, everyone leaves cleanly.
            coordinator.stopAll(reason: "rank 0 could not start")
            mpi.finalize()
            throw failure.error
        } catch let error as DistributedError {
            // A rank that is dead or hangs cannot take part in MPI_Finalize: end everyone.
            FileHandle.standardError.write(Data("landscape: \(error)\n".utf8))
            coordinator.stopAll(reason: "\(error)")
            mpi.abort(code: 3)
        } catch {
            // Cancelled (Ctrl-C, or the launcher's SIGTERM after another rank died) or a store failure:
            // finished points are saved; workers are told to stop, and this rank leaves without waiting on them.
            coordinator.stopAll(reason: "rank 0 stopped: \(error)")
            throw error
        }
    }

    /// Rank 0's first build failed: told apart from failures once the run is going.
    private struct StartFailure: Error { let error: any Error }
}

/// Rank 0's side: hands points to ranks as they become free (dynamic scheduling, in the
/// order given: coarse to fine), evaluates points itself on a background thread meanwhile,
/// and returns each result to `SurfaceComputation.run` on the calling thread. Several
/// computations may run through it one after another (`DistributedSurface.runSeries`).
public final class MPITaskRunner: SurfaceTaskRunner {
    private let mpi: MPIProcess
    private let roster: RankRoster
    private var rankTimeout: Double { roster.rankTimeout }
    private var busy: [Int: SurfaceTask] = [:]
    private var idle: [Int] = []
    /// The computation the workers have built (held, so its identity cannot be reused), and the
    /// last one rank 0 built with its index: the next to send, when it has points to compute.
    private var current: SurfaceComputation?
    var built: (computation: SurfaceComputation, index: Int)?

    init(mpi: MPIProcess, rankTimeout: Double) {
        self.mpi = mpi
        roster = RankRoster(mpi: mpi, rankTimeout: rankTimeout)
    }

    func host(_ rank: Int) -> String { roster.host(rank) }

    /// Sends the directions of computation `index` to every worker and waits until each has built
    /// the same computation.
    func start(_ computation: SurfaceComputation, index: Int) throws {
        let workers = Array(1..<mpi.size)
        let before = (mpi.bytesSent, mpi.bytesReceived)
        let x = computation.directions.map(\.x.values), y = computation.directions.compactMap { $0.y?.values }
        current = nil
        for rank in workers { try mpi.send(.directions(index: index, x, y), to: rank) }
        let keys = computation.models.indices.map { computation.key(for: $0) }
        let algorithm = computation.evaluator.convolutionSummary
        try roster.waitForReady(working: "setting up (loading the model and images)") { rank, workerKeys, workerAlgorithm in
            guard workerAlgorithm == algorithm else {
                throw DistributedError.rankMismatch(rank: rank, host: host(rank), detail: "its convolution is \(workerAlgorithm), rank 0's "
                    + "\(algorithm) (the CPUs differ?): values would differ; pass --convolution \(ConvolutionAlgorithm.im2col.rawValue) to every rank")
            }
            guard workerKeys == keys else {
                throw DistributedError.rankMismatch(rank: rank, host: host(rank), detail: "its surfaces are \(workerKeys), rank 0's \(keys): "
                    + "the model or image files differ between hosts")
            }
        }
        idle = workers
        current = computation
        computations += 1
        setupBytes.sent += mpi.bytesSent - before.0
        setupBytes.received += mpi.bytesReceived - before.1
    }

    public func run(_ tasks: [SurfaceTask], of computation: SurfaceComputation, cancel: CancellationFlag,
                    record: (SurfaceTask, PointValues) -> Void, save: () throws -> Void) throws {
        if current !== computation {
            guard !tasks.isEmpty else {
                // Complete already: the workers need not build it, but hear from rank 0 while it skips
                // such computations (a resumed study), so their wait for the next one keeps its deadline.
                try beatIdleRanks()
                return
            }
            guard let built, built.computation === computation else {
                throw DistributedError.protocolViolation("rank 0 was asked to run a computation it did not build through the run's builder")
            }
            try start(computation, index: built.index)
        }
        var next = 0
        var finished = 0
        let local = LocalSlot(computation: computation)
        defer { local.cancelAndWait() }
        // Free ranks get their next point before rank 0 writes the store: a write never idles a rank.
        func dispatch() throws {
            while next < tasks.count, let rank = idle.popLast() {
                try mpi.send(.task(tasks[next]), to: rank)
                busy[rank] = tasks[next]
                roster.lastHeard[rank] = Date()
                next += 1
            }
            if next < tasks.count, local.isIdle {
                local.start(tasks[next])
                next += 1
            }
        }
        while finished < tasks.count {
            if cancel.isCancelled { throw EngineError.cancelled }
            try dispatch()
            var recorded = 0
            if let (task, outcome) = local.takeFinished() {
                switch outcome {
                case .success(let values):
                    record(task, values)
                    recorded += 1
                case .failure(EngineError.cancelled): throw EngineError.cancelled
                case .failure(let error): throw error
                }
            }
            var heard = recorded > 0
            while let (source, message) = try mpi.receive() {
                heard = true
                roster.lastHeard[source] = Date()
                switch message {
                case let .result(task, values):
                    guard busy[source] == task else {
                        throw DistributedError.protocolViolation("rank \(source) returned point \(task.point) of model \(task.model), "
                            + "it was given \(busy[source].map { "point \($0.point) of model \($0.model)" } ?? "none")")
                    }
                    busy[source] = nil
                    idle.append(source)
                    record(task, values)
                    recorded += 1
                    remotePoints += 1
                case .heartbeat: break
                case .failed(let why): throw DistributedError.rankFailed(rank: source, host: host(source), message: why)
                default: throw DistributedError.protocolViolation("rank \(source) sent tag \(message.tag) during the run")
                }
            }
            if recorded > 0 {
                try dispatch()
                try save()
                finished += recorded
                points += recorded
            }
            let now = Date()
            for (rank, task) in busy where now.timeIntervalSince(roster.lastHeard[rank]!) > rankTimeout {
                throw DistributedError.rankSilent(rank: rank, host: host(rank), seconds: now.timeIntervalSince(roster.lastHeard[rank]!),
                                                  working: "evaluating point \(task.point) of model \(task.model)")
            }
            // Ranks left without work (the last points run elsewhere) hear from rank 0, so their own
            // wait for it keeps its deadline however long the last points take.
            try beatIdleRanks(now: now)
            if !heard { usleep(MPIProcess.pollMicroseconds) }
        }
    }

    /// Tells every worker not yet told to stop (best effort: a dead rank cannot be told).
    func stopAll(reason: String) { roster.stopAll(reason: reason) }

    private var lastBeatToIdle = Date()

    /// A heartbeat to every rank without a point (all of them between computations), at most one
    /// per interval.
    private func beatIdleRanks(now: Date = Date()) throws {
        guard now.timeIntervalSince(lastBeatToIdle) >= min(1, rankTimeout / 4) else { return }
        for rank in busy.isEmpty ? roster.workers : idle { try mpi.send(.heartbeat, to: rank) }
        lastBeatToIdle = now
    }

    /// Set-up traffic (directions out; hello and ready back), and the points this run evaluated.
    private var setupBytes = (sent: 0, received: 0)
    private var points = 0, remotePoints = 0, computations = 0

    /// What rank 0 sent and received, in set-up and per point (the benchmark's figure).
    var trafficSummary: String {
        let sent = mpi.bytesSent - setupBytes.sent, received = mpi.bytesReceived - setupBytes.received
        let perPoint = remotePoints > 0 ? String(format: "%.0f", Double(sent + received) / Double(remotePoints)) : "-"
        return "\(mpi.size) ranks on \(roster.hostList); set-up (\(computations) computation\(computations == 1 ? "" : "s")) \(setupBytes.sent) bytes sent, "
            + "\(setupBytes.received) received; \(points) points (\(remotePoints) on other ranks): \(sent) bytes sent, "
            + "\(received) received, \(perPoint) per point of another rank (heartbeats and stop messages included)"
    }
}

/// A point evaluated on a thread of its own while the calling thread keeps talking MPI.
final class LocalSlot: @unchecked Sendable {
    private let computation: SurfaceComputation
    private let work = BackgroundWork<PointValues>()
    private let cancel = CancellationFlag()
    private var task: SurfaceTask?   // the point started last; only the calling thread touches it

    init(computation: SurfaceComputation) { self.computation = computation }

    var isIdle: Bool { work.isIdle }

    func start(_ task: SurfaceTask) {
        self.task = task
        work.start { [self] in try computation.evaluate(task, cancel: cancel) }
    }

    func takeFinished() -> (SurfaceTask, Result<PointValues, any Error>)? {
        guard let task, let outcome = work.takeFinished() else { return nil }
        return (task, outcome)
    }

    /// Cancels a running point and waits for its thread to end.
    func cancelAndWait() {
        cancel.cancel()
        work.wait()
    }
}
