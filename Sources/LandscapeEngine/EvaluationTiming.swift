import Foundation

/// Where one `Evaluator.evaluate` call's wall time went, in seconds: what
/// `landscape surface --profile` splits a grid point into (issue 20, item 5).
/// Per-worker figures are summed over the workers; divide by `workers` for
/// their share of the wall time.
public struct EvaluationTiming: Sendable, Equatable {
    /// From the call to its return.
    public var wall = 0.0
    /// Worker threads that took part.
    public var workers = 0
    /// Summed over workers: from the call until the worker started its first micro-batch
    /// (thread hand-off, workspace check-out).
    public var startup = 0.0
    /// Summed over workers: inside the forward passes.
    public var forward = 0.0
    /// Summed over workers: losses and argmax from the logits.
    public var loss = 0.0
    /// Summed over workers: from a worker's last micro-batch to the end of the slowest
    /// worker's (load imbalance: nothing left to take while another still computes).
    public var tailIdle = 0.0

    public init() {}

    /// What the workers' phases leave of the wall time (per worker: result arrays, reductions, gaps).
    public var other: Double { workers == 0 ? wall : wall - (startup + forward + loss + tailIdle) / Double(workers) }
}

/// One worker's clock readings during an evaluation, written only by that worker.
struct WorkerClock {
    var started: UInt64 = 0
    var ended: UInt64 = 0
    var forward: UInt64 = 0
    var loss: UInt64 = 0

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// The workers' readings as an `EvaluationTiming` of a call that began at `call` and ends now.
    static func timing(_ clocks: UnsafeMutableBufferPointer<WorkerClock>, workers: Int, call: UInt64) -> EvaluationTiming {
        var timing = EvaluationTiming()
        let seconds = { (nanoseconds: UInt64) in Double(nanoseconds) / 1e9 }
        let used = clocks.prefix(workers).filter { $0.started > 0 }
        let last = used.map(\.ended).max() ?? call
        timing.workers = used.count
        for clock in used {
            timing.startup += seconds(clock.started - call)
            timing.forward += seconds(clock.forward)
            timing.loss += seconds(clock.loss)
            timing.tailIdle += seconds(last - clock.ended)
        }
        timing.wall = seconds(now() - call)
        return timing
    }
}
