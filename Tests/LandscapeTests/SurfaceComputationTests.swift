import XCTest
import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapeCore

final class SurfaceComputationTests: XCTestCase {
    func testCentreEqualsPlainEvaluationOnTheSameSubset() throws {
        let (model, data) = try Self.fixture()
        let surface = try Self.compute(model, data, grid: "-1:1:5", y: "-1:1:5").run()[0]
        // The same evaluator settings as the surface: BLAS may round differently for another micro-batch size.
        let plain = try Self.evaluator().evaluate(InferenceNetwork(model.model), on: data.data)
        XCTAssertEqual(surface.loss[2][2], plain.meanLoss)
        XCTAssertEqual(surface.accuracy[2][2], plain.accuracy)
        XCTAssertEqual(surface.summary?.centreLoss, plain.meanLoss)
        XCTAssertTrue(surface.progress.complete)
        XCTAssertTrue(surface.loss.joined().allSatisfy { $0 != nil })
    }

    func testSameSettingsGiveIdenticalValuesForAnyThreadCount() throws {
        let (model, data) = try Self.fixture()
        let one = try Self.compute(model, data, grid: "-0.5:0.5:3", y: "-0.5:0.5:3", threads: 1).run()[0]
        let two = try Self.compute(model, data, grid: "-0.5:0.5:3", y: "-0.5:0.5:3", threads: 2).run()[0]
        XCTAssertEqual(try Self.valuesJSON(one), try Self.valuesJSON(two))
        let otherSeed = try Self.compute(model, data, grid: "-0.5:0.5:3", y: "-0.5:0.5:3", seed: 1).run()[0]
        XCTAssertNotEqual(one.loss, otherSeed.loss)
        XCTAssertEqual(one.loss[1][1], otherSeed.loss[1][1], "the centre does not depend on the directions")
    }

    func testCancelledRunResumesToTheSameValuesAsAnUninterruptedOne() throws {
        let (model, data) = try Self.fixture()
        let directory = Self.temporaryDirectory()
        let cancel = CancellationFlag()
        var seen = 0
        XCTAssertThrowsError(try Self.compute(model, data, grid: "-1:1:4", y: "-1:1:3", directory: directory)
            .run(cancel: cancel) { _ in seen += 1; if seen == 5 { cancel.cancel() } }) {
            XCTAssertEqual($0 as? EngineError, .cancelled)
        }
        let partial = try SurfaceStore(directory: directory).all()
        XCTAssertEqual(partial.count, 1)
        XCTAssertEqual(partial[0].surface.progress.computed, 5, "finished points were saved")
        let resumed = try Self.compute(model, data, grid: "-1:1:4", y: "-1:1:3", directory: directory).run()[0]
        let fresh = try Self.compute(model, data, grid: "-1:1:4", y: "-1:1:3").run()[0]
        XCTAssertEqual(resumed.loss, fresh.loss)
        XCTAssertEqual(resumed.accuracy, fresh.accuracy)
        XCTAssertEqual(resumed.progress.computed, 12)
    }

    func testTheConvolutionThatComputedThePointsIsRecorded() throws {
        let (model, data) = try Self.fixture()
        let directory = Self.temporaryDirectory()
        let cancel = CancellationFlag()
        XCTAssertThrowsError(try Self.compute(model, data, grid: "-1:1:3", y: nil, algorithm: .im2col, directory: directory)
            .run(cancel: cancel) { _ in cancel.cancel() })
        XCTAssertEqual(try SurfaceStore(directory: directory).all()[0].surface.timing.convolution, "im2col")
        // Resumed with another algorithm: both are named, in the order used (on a CPU without
        // AVX2 Winograd runs as im2col, and only that is named).
        let resumed = try Self.compute(model, data, grid: "-1:1:3", y: nil, algorithm: .winograd, directory: directory).run()[0]
        XCTAssertTrue(resumed.progress.complete)
        let expected = ConvolutionAlgorithm.winograd.effective == .im2col ? "im2col" : "im2col+winograd"
        XCTAssertEqual(resumed.timing.convolution, expected)
        let store = try SurfaceStore(directory: directory)
        let stored = try XCTUnwrap(String(data: Data(contentsOf: directory.appendingPathComponent(store.surfaceFileName(for: resumed))),
                                          encoding: .utf8))
        XCTAssertTrue(stored.contains("\"convolution\""), "written to the JSON file")
    }

    func testExportedDirectionsReproduceAGridValueByAnIndependentPath() throws {
        let (model, data) = try Self.fixture()
        let directory = Self.temporaryDirectory()
        let surface = try Self.compute(model, data, grid: "-1:1:3", y: "-1:1:3", directory: directory).run()[0]
        let file = directory.appendingPathComponent(surface.directions.file!)
        let dict = try Safetensors.read(file)
        // Apply θ + α·x + β·y tensor by tensor from the file, as someone with only the file would,
        // in float64 and rounded once: the grid rounds α·x + β·y in float32 first, so the
        // weights may differ in the last bit and the loss by float32 rounding (1e-5 relative).
        var moved = model.model.stateDict()
        for name in moved.names {
            let w = moved[name]!, dx = dict["x.\(name)"]!, dy = dict["y.\(name)"]!
            moved[name] = Tensor(shape: w.shape, scalars: (0..<w.count).map {
                Float(Double(w.scalars[$0]) + 1 * Double(dx.scalars[$0]) - 1 * Double(dy.scalars[$0]))
            })
        }
        let independent = try Self.evaluator().evaluate(
            InferenceNetwork(ResNetModel(architecture: model.model.architecture, stateDict: moved)), on: data.data)
        XCTAssertEqual(surface.loss[0][2]!, independent.meanLoss, accuracy: 1e-5 * max(1, independent.meanLoss))
    }

    func testInterpolationEndsAtBothModels() throws {
        let (a, data) = try Self.fixture()
        var b = a
        b.model = try DirectionsTests.randomModel(activation: .swish, seed: 77)   // same activation as A: only weights move
        b.info.sha256 = "b"
        let computation = try SurfaceComputation(
            models: [a], data: data, grid: GridSpec(x: GridAxis(parsing: "0:1:3"), y: nil),
            directions: .interpolation(to: b), store: SurfaceStore(directory: Self.temporaryDirectory()),
            evaluator: Self.evaluator())
        let line = try computation.run()[0]
        let evaluator = Self.evaluator()
        XCTAssertEqual(line.loss[0][0]!, try evaluator.evaluate(InferenceNetwork(a.model), on: data.data).meanLoss, accuracy: 1e-9)
        XCTAssertEqual(line.loss[0][2]!, try evaluator.evaluate(InferenceNetwork(b.model), on: data.data).meanLoss, accuracy: 1e-4)
        XCTAssertEqual(line.directions.kind, "interpolation")
    }

    /// `interpolate` to a far model stopped at its first point with "EncodingError -nan" and left a one-value JSON.
    func testNonFiniteLossesAreStoredAsDivergedPointsAndTheRunCompletes() throws {
        let (a, data) = try Self.fixture()
        var b = a
        var far = a.model.stateDict()
        for name in far.names { far[name] = Tensor(shape: far[name]!.shape, scalars: far[name]!.scalars.map { $0 * 3e37 }) }
        b.model = try ResNetModel(architecture: a.model.architecture, stateDict: far)
        b.info.sha256 = "far"
        let directory = Self.temporaryDirectory()
        func computation() throws -> SurfaceComputation {
            try SurfaceComputation(models: [a], data: data, grid: GridSpec(x: GridAxis(parsing: "0:1:3"), y: nil),
                                   directions: .interpolation(to: b), store: SurfaceStore(directory: directory),
                                   evaluator: Self.evaluator())
        }
        let line = try computation().run()[0]
        XCTAssertTrue(line.progress.complete)
        XCTAssertNotNil(line.loss[0][0], "x = 0 is model A: finite")
        XCTAssertEqual(line.diverged?[0], [false, true, true])
        XCTAssertNil(line.loss[0][2]); XCTAssertNil(line.accuracy[0][2]); XCTAssertNil(line.lossStderr[0][2])
        XCTAssertEqual(line.divergedCount, 2)
        let stored = try XCTUnwrap(try SurfaceStore(directory: directory).load(id: line.id))
        XCTAssertEqual(stored, line, "the JSON round-trips")
        let json = try XCTUnwrap(String(data: try line.jsonData(), encoding: .utf8))
        XCTAssertFalse(json.lowercased().contains("nan"), json)
        var pointsComputedOnResume = 0
        _ = try computation().run { _ in pointsComputedOnResume += 1 }
        XCTAssertEqual(pointsComputedOnResume, 0, "diverged points count as computed")
        // The width walk treats a diverged neighbour as above every threshold.
        XCTAssertEqual(line.summary?.widths.first?.right, 0, "crossed before the first diverged point")
    }

    /// `interpolate relu swish` evaluated the Swish weights with ReLU at x = 1 (loss 6.57, 10 %) without a word.
    func testInterpolationBetweenDifferentActivationsIsRefused() throws {
        let (a, data) = try Self.fixture()
        var b = a
        b.model = try DirectionsTests.randomModel(activation: .relu, seed: 77)
        b.info = .init(name: "relu-model", path: nil, sha256: "b", architecture: "resnet8", activation: "relu")
        XCTAssertThrowsError(try SurfaceComputation(
            models: [a], data: data, grid: GridSpec(x: GridAxis(parsing: "0:1:3"), y: nil),
            directions: .interpolation(to: b), store: SurfaceStore(directory: Self.temporaryDirectory()))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("swish") && message.contains("relu-model uses relu"), message)
        }
    }

    /// An 11-point -0.5:1.5 line never evaluated the two models themselves (x = 0 and x = 1).
    func testInterpolationGridsMustContainBothModels() throws {
        let (a, data) = try Self.fixture()
        var b = a
        b.model = try DirectionsTests.randomModel(activation: .swish, seed: 77)
        b.info.sha256 = "b"
        XCTAssertThrowsError(try SurfaceComputation(
            models: [a], data: data, grid: GridSpec(x: GridAxis(parsing: "-0.5:1.5:11"), y: nil),
            directions: .interpolation(to: b), store: SurfaceStore(directory: Self.temporaryDirectory()))) { error in
            let message = "\(error)"
            XCTAssertTrue(message.contains("no point there"), message)
            XCTAssertTrue(message.contains("-0.5:1.5:9 or -0.5:1.5:13"), message)
        }
        for good in ["-0.5:1.5:41", "-0.5:1.5:9", "0.2:0.8:4", "0:1:2"] {
            XCTAssertNoThrow(try SurfaceComputation(
                models: [a], data: data, grid: GridSpec(x: GridAxis(parsing: good), y: nil),
                directions: .interpolation(to: b), store: SurfaceStore(directory: Self.temporaryDirectory())), good)
        }
    }

    func testRecomputeWithoutTrainingImagesIsRefusedBeforeAnyWork() throws {
        let (model, data) = try Self.fixture()
        XCTAssertThrowsError(try SurfaceComputation(models: [model], data: data, grid: GridSpec(x: GridAxis(parsing: "0:1:2"), y: nil),
                                                    directions: .random(DirectionSpec()), bnMode: .recompute,
                                                    store: SurfaceStore(directory: Self.temporaryDirectory()))) {
            XCTAssertTrue("\($0)".contains("'recompute' needs the training images"), "\($0)")
        }
    }

    /// Every point's BN statistics come from the training images at that point's
    /// weights: checked against the exported directions applied by hand in
    /// float64, re-estimated by the engine directly, and evaluated.
    func testRecomputeModeReestimatesStatisticsAtEveryPoint() throws {
        let (model, data) = try Self.fixture()
        let recompute = try Self.recomputation()
        let directory = Self.temporaryDirectory()
        let computation = try SurfaceComputation(
            models: [model], data: data, grid: GridSpec(x: GridAxis(parsing: "-0.5:0.5:3"), y: nil),
            directions: .random(DirectionSpec(seed: 3)), bnMode: .recompute, bnRecomputation: recompute,
            store: SurfaceStore(directory: directory), evaluator: Self.evaluator())
        let line = try computation.run()[0]
        XCTAssertEqual(line.bnMode, .recompute)
        XCTAssertEqual(line.bnRecompute?.batches, 2)
        XCTAssertEqual(line.bnRecompute?.batchSize, 6)
        let evalMode = try Self.compute(model, data, grid: "-0.5:0.5:3", y: nil, seed: 3)
        XCTAssertNotEqual(computation.key(for: 0), evalMode.key(for: 0), "the BN mode is part of the content key")

        let directions = try Safetensors.read(directory.appendingPathComponent(line.directions.file!))
        let network = try TrainingNetwork(architecture: model.model.architecture, batchCapacity: 6, height: 8, width: 8, threads: 1)
        for (column, alpha) in [-0.5, 0.0, 0.5].enumerated() {
            var moved = model.model.stateDict()
            for name in moved.names {
                let w = moved[name]!, dx = directions["x.\(name)"]!
                moved[name] = Tensor(shape: w.shape, scalars: (0..<w.count).map { Float(Double(w.scalars[$0]) + alpha * Double(dx.scalars[$0])) })
            }
            var weights = try ResNetModel(architecture: model.model.architecture, stateDict: moved)
            try network.reestimateBatchNormStatistics(model: &weights, images: recompute.images.pixels, imageCount: 12, batchSize: 6)
            let expected = try Self.evaluator().evaluate(InferenceNetwork(weights), on: data.data).meanLoss
            XCTAssertEqual(line.loss[0][column]!, expected, accuracy: 1e-4 * max(1, expected), "alpha \(alpha)")
        }
        let runningStatistics = try Self.evaluator().evaluate(InferenceNetwork(model.model), on: data.data).meanLoss
        XCTAssertGreaterThan(abs(line.loss[0][1]! - runningStatistics), 1e-3, "re-estimated statistics change the centre")
    }

    func testRecomputeImagesOfAnotherShapeAreRefused() throws {
        let (model, data) = try Self.fixture()
        var recompute = try Self.recomputation()
        recompute.images = try EvaluationData(channels: 1, height: 8, width: 8, pixels: [Float](repeating: 0, count: 12 * 64),
                                              labels: [Int32](repeating: 0, count: 12))
        XCTAssertThrowsError(try SurfaceComputation(models: [model], data: data, grid: GridSpec(x: GridAxis(parsing: "0:1:2"), y: nil),
                                                    directions: .random(DirectionSpec()), bnMode: .recompute, bnRecomputation: recompute,
                                                    store: SurfaceStore(directory: Self.temporaryDirectory()))) {
            XCTAssertTrue("\($0)".contains("1x8x8"), "\($0)")
        }
    }

    // MARK: - fixtures

    static func fixture() throws -> (SurfaceModel, SurfaceData) {
        let model = try DirectionsTests.randomModel(activation: .swish, seed: 4)
        var rng = SeededGenerator(seed: 8, stream: 0)
        let pixels = (0..<(24 * 3 * 8 * 8)).map { _ in Float(rng.nextGaussian()) }
        let data = try EvaluationData(channels: 3, height: 8, width: 8, pixels: pixels, labels: (0..<24).map { Int32($0 % 10) })
        let info = Surface.DatasetInfo(name: "noise", path: "-", split: "test", samples: 24, subset: "first", subsetSeed: 0,
                                       mean: [0], std: [1], contentSha256: "noise-8")
        return (SurfaceModel(model: model, info: .init(name: "swish", path: nil, sha256: "a", architecture: "resnet8", activation: "swish")),
                SurfaceData(data: data, info: info))
    }

    /// Two batches of six noise "training" images.
    static func recomputation() throws -> BatchNormRecomputation {
        var rng = SeededGenerator(seed: 21, stream: 0)
        let pixels = (0..<(12 * 3 * 8 * 8)).map { _ in Float(rng.nextGaussian()) * 1.5 + 0.3 }
        let images = try EvaluationData(channels: 3, height: 8, width: 8, pixels: pixels, labels: [Int32](repeating: 0, count: 12))
        let info = Surface.DatasetInfo(name: "noise", path: "-", split: "train", samples: 12, subset: "first", subsetSeed: 0,
                                       mean: [0], std: [1], contentSha256: "noise-train")
        return BatchNormRecomputation(images: images, batchSize: 6, info: .init(batches: 2, batchSize: 6, dataset: info))
    }

    static func compute(_ model: SurfaceModel, _ data: SurfaceData, grid x: String, y: String?, seed: UInt64 = 0,
                        threads: Int = 2, algorithm: ConvolutionAlgorithm = .preferred,
                        directory: URL = temporaryDirectory()) throws -> SurfaceComputation {
        try SurfaceComputation(models: [model], data: data, grid: GridSpec(x: GridAxis(parsing: x), y: y.map(GridAxis.init(parsing:))),
                               directions: .random(DirectionSpec(seed: seed)), store: SurfaceStore(directory: directory),
                               evaluator: evaluator(threads: threads, algorithm: algorithm))
    }

    static func evaluator(threads: Int = 2, algorithm: ConvolutionAlgorithm = .preferred) -> Evaluator {
        Evaluator(threads: threads, microBatch: 4, algorithm: algorithm)
    }

    static func valuesJSON(_ s: Surface) throws -> Data {
        try JSONEncoder().encode([s.loss, s.accuracy, s.lossStderr])
    }

    static func temporaryDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
