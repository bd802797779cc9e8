import Foundation
import Landscape
import LandscapeEngine

/// `mpirun -n N landscape hessian ...`: every rank runs the same command and loads the same
/// models and images. A spectrum is split into units (`SpectrumUnit`): the Lanczos run of the
/// top eigenvalues stays on rank 0 (each step needs the previous vector: it is sequential, and
/// its basis is the model's size times the steps), while Hutchinson probes and density runs go
/// to whichever rank is free, rank 0 included once its Lanczos run is done. Probe i and run j
/// draw the i-th (j-th) vector of the seed's stream wherever they run, and rank 0 puts them back
/// in index order, so the spectrum equals the single-process one bit for bit, for any number of
/// ranks. Rank 0 alone writes the outputs.
public enum DistributedHessian {
    /// Runs this rank's part: on rank 0 the spectra it wrote, on the other ranks nil once told to stop.
    /// `onProgress` (rank 0, calling thread) gets products done over products at most, per model.
    public static func run(launch: MPILaunch, rankTimeout: Double = DistributedSurface.defaultRankTimeout,
                           build: () throws -> HessianRun, cancel: CancellationFlag,
                           onProgress: (ProgressReport) -> Void = { _ in }) throws -> [HessianSpectrum]? {
        let mpi = try MPIProcess(launch: launch)
        if mpi.rank != 0 {
            mpi.runWorker { try HessianWorker(mpi: mpi, rankTimeout: rankTimeout).serve(build: build) }
            return nil
        }
        let coordinator = HessianCoordinator(mpi: mpi, rankTimeout: rankTimeout)
        do {
            let run: HessianRun
            do {
                run = try build()
                try run.createDirectory()
            } catch {
                coordinator.stopAll(reason: "rank 0 could not start")
                mpi.finalize()
                throw error
            }
            try coordinator.start(keys: HessianWorker.keys(run))
            var spectra: [HessianSpectrum] = []
            for (index, model) in run.models.enumerated() {
                spectra.append(try coordinator.spectrum(of: model, index: index, in: run, cancel: cancel, onProgress: onProgress))
            }
            coordinator.stopAll(reason: "done")
            FileHandle.standardError.write(Data("landscape: \(coordinator.summary)\n".utf8))
            mpi.finalize()
            return spectra
        } catch let error as DistributedError {
            FileHandle.standardError.write(Data("landscape: \(error)\n".utf8))
            coordinator.stopAll(reason: "\(error)")
            mpi.abort(code: 3)
        } catch {
            // Cancelled (Ctrl-C, SIGTERM) or a write that failed: spectra already written stay.
            coordinator.stopAll(reason: "rank 0 stopped: \(error)")
            throw error
        }
    }
}

/// Rank 0's side of a distributed spectrum.
final class HessianCoordinator {
    private let mpi: MPIProcess
    private let roster: RankRoster
    private var rankTimeout: Double { roster.rankTimeout }
    private var units = 0, remoteUnits = 0

    init(mpi: MPIProcess, rankTimeout: Double) {
        self.mpi = mpi
        roster = RankRoster(mpi: mpi, rankTimeout: rankTimeout)
    }

    func host(_ rank: Int) -> String { roster.host(rank) }

    /// Waits until every worker has loaded the same models, images and options.
    func start(keys: [String]) throws {
        try roster.waitForReady(working: "setting up (loading the models and images)") { rank, workerKeys, _ in
            guard workerKeys == keys else {
                throw DistributedError.rankMismatch(rank: rank, host: host(rank), detail: "its models, images and options are \(workerKeys), "
                    + "rank 0's \(keys): the files or the command differ between hosts")
            }
        }
    }

    /// One model's spectrum: the eigenvalue run here, probes and density runs wherever a rank is free.
    func spectrum(of model: LoadedModel, index: Int, in run: HessianRun, cancel: CancellationFlag,
                  onProgress: (ProgressReport) -> Void) throws -> HessianSpectrum {
        let options = run.options
        // Its own flag, so a run that stops (Ctrl-C, a failed rank) ends rank 0's product at once.
        let stop = CancellationFlag()
        let hessian = try run.makeOperator(model, cancel: stop)
        let all = SpectrumComputation.units(options)
        var queue = all.filter { $0 != .eigenvalues }
        var eigenvaluesPending = all.contains(.eigenvalues)
        var results: [SpectrumUnit: SpectrumUnitResult] = [:]
        var busy: [Int: SpectrumUnit] = [:]
        var idle = Array((1..<mpi.size).reversed())
        var remoteProducts = 0, done = 0
        var measured: (loss: Double, gradientNorm: Double)?
        let total = options.maximumProducts
        let start = Date()
        let local = BackgroundWork<(SpectrumUnit, SpectrumUnitResult)>()
        let localSteps = StepCounter()
        defer { stop.cancel(); local.wait() }
        var lastBeatToIdle = Date(), lastReported = -1

        func report() {
            let current = done + localSteps.value
            guard current != lastReported else { return }
            lastReported = current
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(current) / max(elapsed, 1e-9)
            let running = local.isIdle || eigenvaluesPending || results[.eigenvalues] != nil ? nil : localSteps.value
            let what = SpectrumComputation.progress(lanczosStep: running, finished: results.keys, options)
            onProgress(ProgressReport(label: HessianRun.progressLabel(model, "\(what) (\(mpi.size) ranks)"),
                                      done: min(current, total), total: total,
                                      elapsedSeconds: elapsed, rate: rate, etaSeconds: rate > 0 ? Double(total - current) / rate : nil))
        }
        func dispatch() throws {
            while !queue.isEmpty, let rank = idle.popLast() {
                let unit = queue.removeFirst()
                try mpi.send(.unit(model: index, unit), to: rank)
                busy[rank] = unit
                roster.lastHeard[rank] = Date()
            }
            guard local.isIdle, !cancel.isCancelled else { return }
            let unit: SpectrumUnit
            if eigenvaluesPending {
                eigenvaluesPending = false
                unit = .eigenvalues
            } else if !queue.isEmpty {
                unit = queue.removeFirst()
            } else {
                return
            }
            localSteps.reset()
            local.start { (unit, try SpectrumComputation.evaluate(unit, hessian, options, onStep: { localSteps.set($0) })) }
        }

        while results.count < all.count {
            if cancel.isCancelled { throw EngineError.cancelled }
            try dispatch()
            var heard = false
            if let outcome = local.takeFinished() {
                heard = true
                let (unit, result) = try outcome.get()
                results[unit] = result
                done += SpectrumComputation.maximumProducts(of: unit, options)
                localSteps.reset()
                units += 1
            }
            while let (source, message) = try mpi.receive() {
                heard = true
                roster.lastHeard[source] = Date()
                switch message {
                case let .unitResult(model, unit, values, loss, gradientNorm, products):
                    guard model == index, busy[source] == unit else {
                        throw DistributedError.protocolViolation("rank \(source) returned \(unit) of model \(model), "
                            + "it was given \(busy[source].map { "\($0) of model \(index)" } ?? "none")")
                    }
                    busy[source] = nil
                    idle.append(source)
                    results[unit] = try SpectrumUnitResult(unit: unit, flattened: values, options: options)
                    measured = measured ?? (loss, gradientNorm)
                    remoteProducts += products
                    done += SpectrumComputation.maximumProducts(of: unit, options)
                    units += 1
                    remoteUnits += 1
                case .heartbeat: break
                case .failed(let why): throw DistributedError.rankFailed(rank: source, host: host(source), message: why)
                default: throw DistributedError.protocolViolation("rank \(source) sent tag \(message.tag) during the run")
                }
            }
            report()
            let now = Date()
            for (rank, unit) in busy where now.timeIntervalSince(roster.lastHeard[rank]!) > rankTimeout {
                throw DistributedError.rankSilent(rank: rank, host: host(rank), seconds: now.timeIntervalSince(roster.lastHeard[rank]!),
                                                  working: "computing \(unit) of \(model.name)")
            }
            if now.timeIntervalSince(lastBeatToIdle) >= min(1, rankTimeout / 4) {
                for rank in idle { try mpi.send(.heartbeat, to: rank) }
                lastBeatToIdle = now
            }
            if !heard { usleep(MPIProcess.pollMicroseconds) }
        }
        let result = try SpectrumComputation.assemble(results, options)
        // The loss and gradient at the weights are the same whichever product measured them.
        let loss = hessian.productCount > 0 ? hessian.loss : measured?.loss
        let gradientNorm = hessian.productCount > 0 ? hessian.gradientNorm : measured?.gradientNorm
        return try run.write(model, result: result, operator: hessian, loss: loss, gradientNorm: gradientNorm,
                             products: hessian.productCount + remoteProducts, seconds: Date().timeIntervalSince(start))
    }

    func stopAll(reason: String) { roster.stopAll(reason: reason) }

    var summary: String {
        "\(mpi.size) ranks on \(roster.hostList); \(units) spectrum units "
            + "(\(remoteUnits) on other ranks); \(mpi.bytesSent) bytes sent, \(mpi.bytesReceived) received"
    }
}

/// A rank other than 0: loads the same models and images, then computes the units it is handed,
/// sending a heartbeat while each runs.
struct HessianWorker {
    let mpi: MPIProcess
    let rankTimeout: Double

    /// What every rank must agree on: per model its bytes, the images and the options.
    static func keys(_ run: HessianRun) -> [String] {
        run.models.map { "\($0.sha256)|\(run.data.info.contentSha256)|\(run.data.data.count)|\(run.options)" }
    }

    func serve(build: () throws -> HessianRun) throws {
        try mpi.send(.hello(host: mpi.host, pid: Int(getpid())), to: 0)
        let run: HessianRun
        do { run = try build() } catch {
            try mpi.send(.failed("\(error)"), to: 0)
            return
        }
        try mpi.send(.ready(keys: Self.keys(run), algorithm: ""), to: 0)
        let cancel = CancellationFlag()
        // One operator at a time: its primal cache is up to HessianPrimalCache.defaultLimitBytes, and several
        // models must not multiply that. The limit is the single process's on every rank (a cache present on one
        // rank and not on another would change the products' last bits); each rank of a host pays it.
        var current: (model: Int, operator: HessianOperator)?
        while true {
            guard let (_, message) = try mpi.receive(before: Date().addingTimeInterval(rankTimeout)) else {
                throw DistributedError.coordinatorSilent(seconds: rankTimeout)
            }
            switch message {
            case let .unit(model, unit):
                guard run.models.indices.contains(model), unit != .eigenvalues else {
                    throw DistributedError.protocolViolation("rank 0 asked for \(unit) of model \(model)")
                }
                if current?.model != model {
                    current = nil   // the previous model's cache goes before the next one's is made
                    current = (model, try run.makeOperator(run.models[model], cancel: cancel))
                }
                guard try compute(unit, model: model, operator: current!.operator, options: run.options, cancel: cancel) else { return }
            case .heartbeat: continue
            case .stop: return
            default: throw DistributedError.protocolViolation("rank 0 sent tag \(message.tag) to a worker")
            }
        }
    }

    /// Computes one unit on a thread while this one sends heartbeats; false when told to stop.
    private func compute(_ unit: SpectrumUnit, model: Int, operator hessian: HessianOperator, options: SpectrumOptions,
                         cancel: CancellationFlag) throws -> Bool {
        let work = BackgroundWork<SpectrumUnitResult>()
        let before = hessian.productCount
        work.start { try SpectrumComputation.evaluate(unit, hessian, options) }
        var lastBeat = Date()
        while true {
            if let outcome = work.takeFinished() {
                switch outcome {
                case .success(let result):
                    try mpi.send(.unitResult(model: model, unit, values: result.flattened ?? [], loss: hessian.loss ?? .nan,
                                             gradientNorm: hessian.gradientNorm ?? .nan, products: hessian.productCount - before), to: 0)
                case .failure(let error):
                    try mpi.send(.failed("computing \(unit) of model \(model): \(error)"), to: 0)
                }
                return true
            }
            if let (_, message) = try mpi.receive(), message != .heartbeat {
                guard case .stop = message else {
                    throw DistributedError.protocolViolation("rank 0 sent tag \(message.tag) while \(unit) runs")
                }
                cancel.cancel()
                work.wait()
                return false
            }
            if Date().timeIntervalSince(lastBeat) >= min(1, rankTimeout / 4) {
                try mpi.send(.heartbeat, to: 0)
                lastBeat = Date()
            }
            usleep(MPIProcess.pollMicroseconds)
        }
    }
}

/// Products done by the unit running on rank 0's thread, read by the loop that reports progress.
final class StepCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.lock(); defer { lock.unlock() }; return count }
    func set(_ value: Int) { lock.lock(); count = value; lock.unlock() }
    func reset() { set(0) }
}
