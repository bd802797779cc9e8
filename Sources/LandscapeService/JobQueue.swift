import Foundation
import Landscape
import LandscapeEngine

/// Runs surface jobs one at a time on a worker thread (each job already uses
/// every core through the evaluator), with a cap on jobs waiting.
public final class JobQueue: @unchecked Sendable {
    public let maximumQueued: Int
    private let lock = NSCondition()
    private var jobs: [String: Job] = [:]
    private var order: [String] = []
    private var pending: [Job] = []
    private var running: Job?
    private var stopping = false
    private var worker: Thread?
    private var nextNumber = 1

    public init(maximumQueued: Int) {
        self.maximumQueued = maximumQueued
    }

    public func start() {
        let thread = Thread { [weak self] in self?.work() }
        thread.name = "landscape-jobs"
        thread.stackSize = 8 << 20
        worker = thread
        thread.start()
    }

    /// Queues a computation, or registers an already complete job (computation nil).
    func submit(_ computation: SurfaceComputation?, surfaceIDs: [String], alreadyDone: Int, total: Int) throws -> Job {
        lock.lock(); defer { lock.unlock() }
        if computation != nil && pending.count + (running == nil ? 0 : 1) >= maximumQueued {
            throw ServiceError.queueFull(limit: maximumQueued)
        }
        let id = String(format: "j%04d-", nextNumber) + String(UUID().uuidString.prefix(8)).lowercased()
        nextNumber += 1
        let job = Job(id: id, computation: computation, surfaceIDs: surfaceIDs, alreadyDone: alreadyDone, total: total)
        jobs[id] = job
        order.append(id)
        if computation != nil { pending.append(job); lock.broadcast() }
        return job
    }

    public func job(_ id: String) throws -> Job {
        lock.lock(); defer { lock.unlock() }
        guard let job = jobs[id] else { throw ServiceError.notFound("job '\(id)'") }
        return job
    }

    public func all() -> [Job] {
        lock.lock(); defer { lock.unlock() }
        return order.compactMap { jobs[$0] }
    }

    /// The job running a computation for this surface, if any (so two clients do not compute it twice).
    func active(for surfaceIDs: [String]) -> Job? {
        lock.lock(); defer { lock.unlock() }
        return ([running].compactMap { $0 } + pending).first { $0.surfaceIDs == surfaceIDs }
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
            lock.lock(); running = nil; lock.unlock()
        }
    }

    private func run(_ job: Job) {
        guard let computation = job.computation else { return job.finish(.done) }
        job.markRunning()
        do {
            try computation.run(cancel: job.cancelFlag) { job.recordPoint($0) }
            job.finish(.done)
        } catch EngineError.cancelled {
            job.finish(.cancelled)
        } catch {
            job.finish(.failed, error: "\(error)")
        }
    }
}
