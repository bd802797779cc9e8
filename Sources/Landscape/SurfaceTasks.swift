import Foundation
import LandscapeEngine

/// One unit of surface work: a grid point of one model's surface.
public struct SurfaceTask: Sendable, Hashable {
    /// Index into the computation's models.
    public var model: Int
    /// Flat grid index (row · columns + column).
    public var point: Int
    public init(model: Int, point: Int) { self.model = model; self.point = point }
}

/// What a point's evaluation yields: everything the surface records about it.
/// Computed where the point is evaluated (the float64 mean over the images in image
/// order), so a remote point is the same bits as a local one.
public struct PointValues: Sendable, Equatable {
    public var meanLoss: Double
    public var accuracy: Double
    public var lossStandardError: Double
    /// Seconds the evaluation took where it ran.
    public var seconds: Double
    public init(meanLoss: Double, accuracy: Double, lossStandardError: Double, seconds: Double) {
        self.meanLoss = meanLoss; self.accuracy = accuracy; self.lossStandardError = lossStandardError; self.seconds = seconds
    }
}

/// Who evaluates a computation's points: this process, one after another
/// (`LocalTaskRunner`), or ranks of an MPI job (LandscapeDistributed). The
/// surface loop, the store and the progress reports stay in `SurfaceComputation.run`.
public protocol SurfaceTaskRunner {
    /// Evaluates every task, handing them out in the given (coarse-to-fine) order, and calls
    /// `record` on the calling thread once per finished task, in any order, and `save` before it
    /// waits for more: after every point when points finish one at a time, after a few at once
    /// when several arrived together (rank 0 of a large job: one write per batch, not per point,
    /// so the store never limits how many ranks can work). An error thrown by `save` (a failed
    /// write) stops the run. Throws `EngineError.cancelled` once `cancel` is set.
    func run(_ tasks: [SurfaceTask], of computation: SurfaceComputation, cancel: CancellationFlag,
             record: (SurfaceTask, PointValues) -> Void, save: () throws -> Void) throws
}

/// Every point in this process, in order: the single-machine run.
public struct LocalTaskRunner: SurfaceTaskRunner {
    public init() {}
    public func run(_ tasks: [SurfaceTask], of computation: SurfaceComputation, cancel: CancellationFlag,
                    record: (SurfaceTask, PointValues) -> Void, save: () throws -> Void) throws {
        for task in tasks {
            if cancel.isCancelled { throw EngineError.cancelled }
            record(task, try computation.evaluate(task, cancel: cancel))
            try save()
        }
    }
}
