import Foundation
import Landscape
import LandscapeEngine

/// How a queued job gets computed: the one seam between the queue (order, cancel, history) and
/// the work, for every kind of job. `LocalSurfaceRunner` computes in this process;
/// `LauncherSurfaceRunner` runs `<launcher> landscape surface|hessian --spec ...` (mpirun, srun).
/// Either way a surface job sees one `recordPoint` per saved point, a Hessian or study job one
/// progress report at a time, and each ends done, cancelled (`EngineError.cancelled`) or failed
/// (any other error, its message the job's).
public protocol SurfaceJobRunner: AnyObject, Sendable {
    /// A new job's request with its models and dataset resolved to files; called by the planner
    /// under the queue's lock before the job can start, keyed by the job's surface ids.
    func prepare(_ spec: SurfaceSpec, surfaceIDs: [String]) throws
    /// Computes the job's missing points, calling `job.recordPoint` after each is saved;
    /// throws `EngineError.cancelled` once `job.cancelFlag` is set (saved points stay).
    func run(_ computation: SurfaceComputation, for job: Job) throws
    /// Writes a Hessian job's spectra into its run's folder of the store (not the entry that
    /// marks it complete: `HessianJobWork.run` writes that once this returns).
    func run(_ work: HessianJobWork, cancel: CancellationFlag, onProgress: (ProgressReport) -> Void) throws
    /// Computes every seed's surfaces of a study job into the surface store, and stores the study.
    func run(_ work: StudyJobWork, cancel: CancellationFlag, onProgress: (ProgressReport) -> Void) throws
}

/// The embedded default: the computation runs on the queue's worker thread.
public final class LocalSurfaceRunner: SurfaceJobRunner {
    public init() {}
    public func prepare(_ spec: SurfaceSpec, surfaceIDs: [String]) throws {}
    public func run(_ computation: SurfaceComputation, for job: Job) throws {
        try computation.run(cancel: job.cancelFlag) { job.recordPoint($0) }
    }
    public func run(_ work: HessianJobWork, cancel: CancellationFlag, onProgress: (ProgressReport) -> Void) throws {
        try work.computeHere(cancel: cancel, onProgress: onProgress)
    }
    public func run(_ work: StudyJobWork, cancel: CancellationFlag, onProgress: (ProgressReport) -> Void) throws {
        try work.computeHere(cancel: cancel, onProgress: onProgress)
    }
}
