import XCTest
import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapeCore

/// A small real study: the reference ResNet-20 and a second model of the same layout on the first
/// reference CIFAR-10 images, two seeds, a 5-point line.
final class SeedStudyRunTests: XCTestCase {
    static let samples = 8

    static func fixture() throws -> ([SurfaceModel], SurfaceData) {
        let loaded = try LoadedModel.load(Fixtures.referenceFile("resnet20-akamaster.safetensors"))
        var other = loaded.surfaceModel
        // A second network of the same layout: the reference weights scaled by 1.05 (another minimum's stand-in).
        for i in other.model.values.indices { other.model.values[i] *= 1.05 }
        other.info.name = "resnet20-scaled"
        other.info.sha256 = "scaled-" + loaded.surfaceModel.info.sha256
        let set = try EvaluationSet.build(EvaluationSetRequest(path: Fixtures.referenceFile("cifar10-test-head.bin").path,
                                                               samples: samples), card: loaded.card)
        return ([loaded.surfaceModel, other], set)
    }

    static func computation(_ models: [SurfaceModel], _ data: SurfaceData, seed: UInt64, store: SurfaceStore) throws -> SurfaceComputation {
        try SurfaceComputation(models: models, data: data, grid: GridSpec(x: GridAxis(parsing: "-0.5:0.5:5"), y: nil),
                               directions: .random(DirectionSpec(seed: seed)), store: store,
                               evaluator: Evaluator(threads: 2, microBatch: 4))
    }

    func testEachSeedsSurfaceEqualsASingleSeedRunAndTheStudyReadsThem() throws {
        let (models, data) = try Self.fixture()
        let directory = SurfaceComputationTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SurfaceStore(directory: directory)
        let seeds: [UInt64] = [3, 11]
        var reports: [ProgressReport] = []
        let run = SeedStudyComputation(seeds: seeds, pointsPerSeed: models.count * 5) { seed in
            try Self.computation(models, data, seed: seed, store: store)
        }
        let result = try run.run { reports.append($0) }
        XCTAssertEqual(result.surfaces.count, 4)
        XCTAssertEqual(reports.map(\.done), Array(1...20), "one progress over all seeds")
        XCTAssertTrue(reports.allSatisfy { $0.total == 20 })
        XCTAssertTrue(reports[0].label.hasPrefix("seed 3 · "), reports[0].label)

        for seed in seeds {
            // A single-seed run in another directory: exactly the same values.
            let alone = try Self.computation(models, data, seed: seed, store: SurfaceStore(directory: SurfaceComputationTests.temporaryDirectory())).run()
            let studied = result.surfaces.filter { $0.directions.seed == seed }
            XCTAssertEqual(studied.map(\.id), alone.map(\.id))
            XCTAssertEqual(studied.map(\.loss), alone.map(\.loss))
            XCTAssertEqual(studied.map(\.accuracy), alone.map(\.accuracy))
            XCTAssertEqual(studied.map(\.directions.sharedWith), alone.map(\.directions.sharedWith))
        }
        XCTAssertNotEqual(result.surfaces[0].loss, result.surfaces[2].loss, "seeds 3 and 11 draw different directions")

        let study = result.study
        XCTAssertEqual(study.seeds, seeds)
        XCTAssertEqual(study.models.map(\.label), ["resnet20-akamaster", "resnet20-scaled"], "same activation: model names")
        for (m, model) in study.models.enumerated() {
            for (s, measure) in model.perSeed.enumerated() {
                let surface = result.surfaces[s * 2 + m]
                XCTAssertEqual(measure.surfaceId, surface.id)
                XCTAssertEqual(measure.surfaceFile, store.surfaceFileName(for: surface))
                // The study reads SurfaceSummary's curvature, the one measurement.
                XCTAssertEqual(measure.curvature, surface.summary?.curvature.first?.secondDerivative)
            }
        }
        XCTAssertEqual(study.comparisons.count, 1)
        XCTAssertEqual(study.comparisons[0].seeds, 2)

        // Run again: everything is resumed from the store, nothing recomputed, the same study.
        var again: [ProgressReport] = []
        let resumed = try run.run { again.append($0) }
        XCTAssertTrue(again.isEmpty)
        XCTAssertEqual(resumed.study, study)
    }

    func testACancelledStudyStopsAndResumes() throws {
        let (models, data) = try Self.fixture()
        let directory = SurfaceComputationTests.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SurfaceStore(directory: directory)
        let run = SeedStudyComputation(seeds: [0, 1], pointsPerSeed: models.count * 5) { seed in
            try Self.computation(models, data, seed: seed, store: store)
        }
        let cancel = CancellationFlag()
        XCTAssertThrowsError(try run.run(cancel: cancel) { if $0.done == 13 { cancel.cancel() } }) {
            XCTAssertEqual($0 as? EngineError, .cancelled)
        }
        var resumedReports: [ProgressReport] = []
        let resumed = try run.run { resumedReports.append($0) }
        XCTAssertEqual(resumedReports.first?.done, 14, "continues after the saved points")
        XCTAssertEqual(resumedReports.last?.done, 20)
        XCTAssertEqual(resumed.surfaces.count, 4)
        XCTAssertTrue(resumed.surfaces.allSatisfy(\.progress.complete))
    }
}
