import Foundation
import Landscape
import LandscapeEngine

/// Runs jobs (surfaces and Hessian runs alike) one at a time on a worker thread (each job already uses
/// every core through the evaluator), with a cap on jobs waiting and a bounded
/// history: a finished job keeps its state and surface ids, not its
/// computation, and only the newest `maximumFinished` finished jobs are kept.
public final class JobQueue: @unchecked Sendable {
    public let maximumQueued: Int
    public let maximumFinished: Int
    /// Computes each job's points (this process, or a launcher such as mpirun).
    public let runner: any SurfaceJobRunner
    private let lock = NSCondition()
    private var jobs: [String: Job] = [:]
    private var order: [String] = []
    private var pending: [Job] = []
    private var running: Job?
    private var stopping = false
    private var worker: Thread?
    private var nextNumber = 1

    public init(maximumQueued: Int, maximumFinished: Int = 100, runner: any SurfaceJobRunner = LocalSurfaceRunner()) {
        self.runner = runner
        self.maximumQueued = maximumQueued
        self.maximumFinished = max(0, maximumFinished)
    }

    public func start() {
        let thread = Thread { [weak self] in self?.work() }
        thread.name = "landscape-jobs"
        thread.stackSize = 8 << 20
        worker = thread
        thread.start()
    }

    /// Registers a job whose surfaces are all stored already (it is born done).
    func registerComplete(surfaceIDs: [String], total: Int) -> Job {
        registerComplete(kind: .surface, surfaceIDs: surfaceIDs, hessianID: nil, total: total)
    }

    /// Registers a job whose results are all stored already (it is born done).
    func registerComplete(kind: Job.Kind, surfaceIDs: [String], hessianID: String?, studyID: String? = nil, total: Int) -> Job {
        lock.lock(); defer { lock.unlock() }
        let job = makeJob(nil, kind: kind, surfaceIDs: surfaceIDs, hessianID: hessianID, studyID: studyID, alreadyDone: total,
                          total: total)
        pruneFinished()
        return job
    }

    /// The running or queued job for these surfaces, or a new one — one atomic step, so two
    /// identical requests never start two computations. `prepare` runs only for a new job,
    /// after the capacity check and under the queue's lock: a request refused with 429
    /// writes nothing. It returns the computation and the points already done.
    func submitOrJoin(surfaceIDs: [String], total: Int,
                      prepare: () throws -> (computation: SurfaceComputation, alreadyDone: Int)) throws -> Job {
        try submitOrJoin(kind: .surface, surfaceIDs: surfaceIDs, hessianID: nil, total: total) {
            let (computation, done) = try prepare()
            return (.surfaces(computation), done)
        }
    }

    /// Throws `queueFull` (429) when a new job of this kind could neither be queued now nor join one of
    /// its kind already waiting or running: the cheap check a request makes before expensive preparation
    /// (a seed study builds every seed's directions to name its job). `submitOrJoin` checks again under the lock.
    func ensureRoom(kind: Job.Kind) throws {
        lock.lock(); defer { lock.unlock() }
        let active = [running].compactMap { $0 } + pending
        guard active.count < maximumQueued || active.contains(where: { $0.kind == kind }) else {
            throw ServiceError.queueFull(limit: maximumQueued, retryAfter: Self.retryAfterSeconds)
        }
    }

    /// The same for any kind of work: one queue, one cap, one dedup by the results' ids.
    func submitOrJoin(kind: Job.Kind, surfaceIDs: [String], hessianID: String?, studyID: String? = nil, total: Int,
                      prepare: () throws -> (work: JobWork, alreadyDone: Int)) throws -> Job {
        lock.lock(); defer { lock.unlock() }
        let key = Job.resultKey(kind: kind, surfaceIDs: surfaceIDs, hessianID: hessianID, studyID: studyID)
        if let running = activeLocked(kind: kind, key: key) { return running }
        guard pending.count + (running == nil ? 0 : 1) < maximumQueued else { throw ServiceError.queueFull(limit: maximumQueued, retryAfter: Self.retryAfterSeconds) }
        let (work, done) = try prepare()
        let job = makeJob(work, kind: kind, surfaceIDs: surfaceIDs, hessianID: hessianID, studyID: studyID, alreadyDone: done,
                          total: total)
        pending.append(job)
        lock.broadcast()
        pruneFinished()
        return job
    }

    private func makeJob(_ work: JobWork?, kind: Job.Kind, surfaceIDs: [String], hessianID: String?, studyID: String?,
                         alreadyDone: Int, total: Int) -> Job {
        let id = String(format: "j%04d-", nextNumber) + String(UUID().uuidString.prefix(8)).lowercased()
        nextNumber += 1
        let job = Job(id: id, computation: work, kind: kind, surfaceIDs: surfaceIDs, hessianID: hessianID,
                      studyID: studyID, alreadyDone: alreadyDone, total: total)
        jobs[id] = job
        order.append(id)
        return job
    }

    /// Forgets the oldest finished jobs beyond `maximumFinished` (caller holds the lock).
    private func pruneFinished() {
        for job in jobs.values { job.compactEvents() }
        var finished = order.filter { jobs[$0]?.snapshot.isFinished ?? false }
        guard finished.count > maximumFinished else { return }
        finished.removeLast(maximumFinished)
        let forget = Set(finished)
        for id in forget { jobs[id] = nil }
        order.removeAll { forget.contains($0) }
    }

    public func job(_ id: String) throws -> Job {
        lock.lock(); defer { lock.unlock() }
        guard let job = jobs[id] else { throw ServiceError.notFound("job '\(id)'") }
        return job
    }

    public func all() -> [Job] {
        lock.lock(); defer { lock.unlock() }
        pruneFinished()
        return order.compactMap { jobs[$0] }
    }

    /// The job running a computation for these results, if any (so two clients do not compute them twice).
    private func activeLocked(kind: Job.Kind, key: [String]) -> Job? {
        ([running].compactMap { $0 } + pending).first { $0.kind == kind && $0.resultKey == key }
    }

    /// Cancels a queued job at once, a running one at its next point boundary
    /// (the evaluator also checks between micro-batches).
    public func cancel(_ id: String) throws -> Job {
        let job = try self.job(id)
        lock.lock()
        if let index = pending.firstIndex(where: { $0 === job }) {
            pending.remove(at: index)
            lock.unlock()
            job.finish(.cancelled)
            return job
        }
        lock.unlock()
        job.cancelFlag.cancel()
        // The evaluator checks the flag between micro-batches, so this is quick; the
        // answer then says "cancelled" rather than "running".
        job.waitUntilFinished(timeout: Self.cancelWait)
        return job
    }

    static let cancelWait: TimeInterval = 5
    /// What a client told "queue full" should wait: about one small surface.
    static let retryAfterSeconds = 30

    /// Stops taking jobs, cancels the running one (its finished points are
    /// saved, so the same request resumes later) and waits for the worker.
    public func shutdown(timeout: TimeInterval) {
        lock.lock()
        stopping = true
        let queued = pending
        pending.removeAll()
        running?.cancelFlag.cancel()
        lock.broadcast()
        lock.unlock()
        for job in queued { job.finish(.cancelled, error: "server shutting down") }
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            lock.lock(); let busy = running != nil; lock.unlock()
            if !busy { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
    }

    private func work() {
        while true {
            lock.lock()
            while pending.isEmpty && !stopping { lock.wait() }
            if stopping { lock.unlock(); return }
            let job = pending.removeFirst()
            running = job
            lock.unlock()
            run(job)
            lock.lock(); running = nil; pruneFinished(); lock.unlock()
        }
    }

    private func run(_ job: Job) {
        guard let work = job.computation else { return job.finish(.done) }
        job.markRunning()
        do {
            switch work {
            case .surfaces(let computation):
                try runner.run(computation, for: job)
            case .hessian(let hessian):
                try hessian.run(cancel: job.cancelFlag) { job.recordProgress($0) }
            case .study(let study):
                try study.run(cancel: job.cancelFlag) { job.recordProgress($0) }
            }
            job.finish(.done)
        } catch EngineError.cancelled {
            job.finish(.cancelled)
        } catch {
            job.finish(.failed, error: "\(error)")
        }
    }
}
