import Foundation
import Landscape
import LandscapeEngine

/// How a queued surface job's points get computed: the one seam between the queue (order,
/// cancel, history) and the work. `LocalSurfaceRunner` evaluates in this process;
/// `LauncherSurfaceRunner` runs `<launcher> landscape surface --spec ...` (mpirun, srun).
/// Either way the job sees one `recordPoint` per saved point and ends done, cancelled
/// (`EngineError.cancelled`) or failed (any other error, its message the job's).
public protocol SurfaceJobRunner: AnyObject, Sendable {
    /// A new job's request with its models and dataset resolved to files; called by the planner
    /// under the queue's lock before the job can start, keyed by the job's surface ids.
    func prepare(_ spec: SurfaceSpec, surfaceIDs: [String]) throws
    /// Computes the job's missing points, calling `job.recordPoint` after each is saved;
    /// throws `EngineError.cancelled` once `job.cancelFlag` is set (saved points stay).
    func run(_ computation: SurfaceComputation, for job: Job) throws
}

/// The embedded default: the computation runs on the queue's worker thread.
public final class LocalSurfaceRunner: SurfaceJobRunner {
    public init() {}
    public func prepare(_ spec: SurfaceSpec, surfaceIDs: [String]) throws {}
    public func run(_ computation: SurfaceComputation, for job: Job) throws {
        try computation.run(cancel: job.cancelFlag) { job.recordPoint($0) }
    }
}
