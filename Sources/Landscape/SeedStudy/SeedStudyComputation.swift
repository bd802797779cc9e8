import Foundation
import LandscapeEngine

/// Runs the surfaces of a seed study one seed after another, each seed an ordinary
/// `SurfaceComputation` (its models sharing that seed's raw directions) through the same
/// store, so a stopped study resumes where it stopped and every seed's surface is exactly
/// the surface a single-seed run with that seed computes. One progress report covers all seeds.
public final class SeedStudyComputation: @unchecked Sendable {
    public let seeds: [UInt64]
    public let widthThreshold: Double
    /// Points of one seed (every model), for the overall progress.
    public let pointsPerSeed: Int
    private let build: (UInt64) throws -> SurfaceComputation

    /// `build(seed)` makes the computation of one seed (its directions are drawn when it is called).
    public init(seeds: [UInt64], widthThreshold: Double = SeedStudy.defaultWidthThreshold, pointsPerSeed: Int,
                build: @escaping (UInt64) throws -> SurfaceComputation) {
        self.seeds = seeds; self.widthThreshold = widthThreshold; self.pointsPerSeed = pointsPerSeed; self.build = build
    }

    /// The surfaces of every seed (seed-major: seed 0's models, then seed 1's, …) and their study.
    /// Throws `EngineError.cancelled` when `cancel` is set (finished points are saved).
    public func run(on runner: any SurfaceTaskRunner = LocalTaskRunner(), cancel: CancellationFlag = CancellationFlag(),
                    onProgress: (ProgressReport) -> Void = { _ in }) throws -> (surfaces: [Surface], fileNames: [String: String], study: SeedStudy) {
        var surfaces: [Surface] = []
        var fileNames: [String: String] = [:]
        let total = seeds.count * pointsPerSeed
        let start = Date()
        var computedHere = 0
        for (index, seed) in seeds.enumerated() {
            if cancel.isCancelled { throw EngineError.cancelled }
            let computation = try build(seed)
            guard computation.directionSpec.seed == seed, case .random = computation.source else {
                throw LandscapeError.invalidRequest("seed study: the computation of seed \(seed) does not draw random directions with that seed")
            }
            let before = index * pointsPerSeed
            var lastDone: Int?
            let done = try computation.run(on: runner, cancel: cancel) { step in
                if let lastDone { computedHere += step.report.done - lastDone } else { computedHere += 1 }
                lastDone = step.report.done
                let elapsed = Date().timeIntervalSince(start)
                let rate = Double(computedHere) / max(elapsed, 1e-9)
                let overall = before + step.report.done
                onProgress(ProgressReport(label: "seed \(seed) · \(step.report.label)", done: overall, total: total,
                                          elapsedSeconds: elapsed, rate: rate,
                                          etaSeconds: rate > 0 ? Double(total - overall) / rate : nil))
            }
            for surface in done { fileNames[surface.id] = computation.store.surfaceFileName(for: surface) }
            surfaces += done
        }
        let study = try SeedStudy(surfaces: surfaces, seeds: seeds, widthThreshold: widthThreshold, fileNames: fileNames)
        return (surfaces, fileNames, study)
    }
}
