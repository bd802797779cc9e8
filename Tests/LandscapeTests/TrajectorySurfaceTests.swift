import Foundation
import XCTest
import LandscapeCore
import LandscapeEngine
import LandscapeIO
@testable import Landscape

/// The whole path on tiny data: train with a snapshot every step, find the
/// PCA plane, compute the surface in it. Its centre is the final model as
/// `landscape eval` evaluates it, and the surface JSON carries the path.
final class TrajectorySurfaceTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-pca-surface-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try TrainingRunTests.writeFashionLikeData(at: root.appendingPathComponent("fashion-tiny"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    private var dataPath: String { root.appendingPathComponent("fashion-tiny").path }

    /// resnet8, 2 epochs of 3 steps, a snapshot after every step: 7 points (step 0 to 6).
    private func trainedRun() throws -> TrainingConfiguration {
        let recipe = try TrainingRecipe(epochs: 2, batchSize: 8, schedule: .cosine(rate: 0.1, floor: 0), seed: 2)
        let configuration = TrainingConfiguration(depth: 8, activation: Activation(.swish), dataPath: dataPath, recipe: recipe,
                                                  trainLimit: 24, evalLimit: 8, threads: 2,
                                                  output: root.appendingPathComponent("run/final.safetensors"),
                                                  snapshots: root.appendingPathComponent("run/snapshots"), snapshotEvery: 1)
        XCTAssertEqual(try TrainingRun(configuration).run(), .finished)
        return configuration
    }

    func testTheCentreOfASurfaceInThePCAPlaneIsTheFinalModelAsEvalSeesItAndTheSurfaceCarriesThePath() throws {
        let run = try trainedRun()
        let spec = TrajectorySpec(snapshots: run.snapshots!.path, model: run.output.path)
        let result = try TrajectoryComputation.compute(try TrajectoryInput.load(spec))
        XCTAssertEqual(result.trajectory.points.compactMap(\.step), Array(0...6))
        XCTAssertEqual(result.trajectory.points.last?.x, 0)
        XCTAssertEqual(result.trajectory.points.last?.y, 0)
        let sum = result.trajectory.explainedVarianceRatio.reduce(0, +)
        XCTAssertGreaterThan(sum, 0); XCTAssertLessThanOrEqual(sum, 1 + 1e-12)
        let out = root.appendingPathComponent("pca")
        let final = try LoadedModel.load(run.output)
        try TrajectoryComputation.write(result, layout: final.model.layout, to: out)

        let plane = try PCAPlane.load(directory: out.path, model: final)
        let set = try EvaluationSet.build(EvaluationSetRequest(path: dataPath, split: .test, samples: 12), card: final.card)
        let axes = try plane.trajectory.coveringAxes(count: 5)
        let computation = try SurfaceComputation(
            models: [final.surfaceModel], data: set, grid: try GridSpec(x: axes.x, y: axes.y), directions: .pca(plane),
            store: try SurfaceStore(directory: root.appendingPathComponent("surfaces")), evaluator: Evaluator(threads: 1))
        let surface = try XCTUnwrap(computation.run().first)
        XCTAssertTrue(surface.progress.complete)

        // `landscape eval` on the same subset: the library calls it makes.
        let eval = try Evaluator(threads: 1).evaluate(InferenceNetwork(final.model), on: set.data)
        XCTAssertEqual(surface.summary?.centreLoss ?? .nan, eval.meanLoss, accuracy: 1e-12)
        XCTAssertEqual(surface.summary?.centreAccuracy, eval.accuracy)

        // Every snapshot evaluated on the same images: the last one is the final model.
        var evaluated = result
        try TrajectoryComputation.evaluate(&evaluated, try TrajectoryInput.load(spec), on: set, evaluator: Evaluator(threads: 1))
        XCTAssertEqual(evaluated.trajectory.points.last?.testLoss ?? .nan, eval.meanLoss, accuracy: 1e-12)
        XCTAssertEqual(evaluated.trajectory.points.last?.testAccuracy, eval.accuracy)
        XCTAssertEqual(evaluated.trajectory.points.compactMap(\.testLoss).count, 7)
        XCTAssertEqual(evaluated.trajectory.evaluation?.samples, 12)

        XCTAssertEqual(surface.directions.kind, "pca")
        XCTAssertEqual(surface.path, plane.path)
        XCTAssertEqual(surface.path?.points.count, 7)
        XCTAssertEqual(surface.path?.axisLabels.first, plane.trajectory.axisLabel(0))
        // The path survives the store (the JSON's optional field) and is absent from other surfaces.
        let stored = try XCTUnwrap(try computation.store.load(id: surface.id))
        XCTAssertEqual(stored.path, surface.path)
        let random = try SurfaceComputation(models: [final.surfaceModel], data: set, grid: try GridSpec(x: axes.x, y: nil),
                                            directions: .random(DirectionSpec()), store: computation.store)
        XCTAssertNil(try random.initialSurface(for: 0).path)
        let keys = try XCTUnwrap(try JSONSerialization.jsonObject(with: try random.initialSurface(for: 0).jsonData()) as? [String: Any]).keys
        XCTAssertFalse(keys.contains("path"))
        let pcaKeys = try XCTUnwrap(try JSONSerialization.jsonObject(with: try surface.jsonData()) as? [String: Any]).keys
        XCTAssertTrue(pcaKeys.contains("path"))
    }

    func testThePlaneOfAnotherModelsPathIsRefused() throws {
        let run = try trainedRun()
        let result = try TrajectoryComputation.compute(try TrajectoryInput.load(
            TrajectorySpec(snapshots: run.snapshots!.path, model: run.output.path)))
        let out = root.appendingPathComponent("pca")
        try TrajectoryComputation.write(result, layout: try LoadedModel.load(run.output).model.layout, to: out)
        // The initial weights have the same architecture but are not the path's final model.
        let other = try LoadedModel.load(run.snapshotURL(step: 0)!)
        XCTAssertThrowsError(try PCAPlane.load(directory: out.path, model: other)) { error in
            XCTAssertTrue("\(error)".contains("expected the surface around the trajectory's final model"), "\(error)")
        }
    }
}
