import Foundation
import XCTest
import LandscapeEngine
import LandscapeIO
@testable import Landscape

/// `TrainingRun` end to end on tiny IDX files written here: stopping, saving
/// to the checkpoint file and resuming gives the same weights and figures as
/// a run that never stopped; the weights and card are what `eval` reads.
final class TrainingRunTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-train-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try Self.writeFashionLikeData(at: root.appendingPathComponent("fashion-tiny"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    /// IDX files (big-endian header, then bytes), 28x28: 40 train and 16 test
    /// images whose brightness pattern depends on the label, so it is learnable.
    static func writeFashionLikeData(at directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func idx(_ sizes: [Int], _ payload: [UInt8]) -> Data {
            var bytes: [UInt8] = [0, 0, 8, UInt8(sizes.count)]
            for size in sizes { bytes += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: size >> $0) } }
            return Data(bytes + payload)
        }
        for (prefix, count, offset) in [("train", 40, 0), ("t10k", 16, 1000)] {
            let labels = (0..<count).map { UInt8(($0 * 7 + offset) % 10) }
            var pixels: [UInt8] = []
            for n in 0..<count {
                let label = Int(labels[n])
                for p in 0..<784 {
                    let value: Int = label * 25 + (p % 28) * 3 + (n + offset) % 5
                    pixels.append(UInt8(value % 256))
                }
            }
            try idx([count, 28, 28], pixels).write(to: directory.appendingPathComponent("\(prefix)-images-idx3-ubyte"))
            try idx([count], labels).write(to: directory.appendingPathComponent("\(prefix)-labels-idx1-ubyte"))
        }
    }

    private func configuration(_ name: String, resume: Bool = false, lr: Double = 0.05) throws -> TrainingConfiguration {
        let recipe = try TrainingRecipe(epochs: 2, batchSize: 8, schedule: .cosine(rate: lr, floor: 0), seed: 3)
        return TrainingConfiguration(depth: 8, activation: Activation(.mish),
                                     dataPath: root.appendingPathComponent("fashion-tiny").path, recipe: recipe,
                                     trainLimit: 24, evalLimit: 12, threads: 2,
                                     output: root.appendingPathComponent("\(name)/model.safetensors"),
                                     snapshots: root.appendingPathComponent("\(name)/snapshots"), resume: resume,
                                     recipeFlags: ["lr": String(lr)])
    }

    func testAStoppedAndResumedRunWritesTheSameWeightsAndFiguresAsAnUninterruptedOne() throws {
        let whole = try TrainingRun(try configuration("whole"))
        XCTAssertEqual(whole.batchesPerEpoch, 3)
        var wholeEpochs: [TrainingLog.Epoch] = []
        XCTAssertEqual(try whole.run(epochEnd: { wholeEpochs.append($0) }), .finished)

        // Stop after 2 batches (mid epoch 1), then after 2 more (mid epoch 2), each time
        // through a new run reading the checkpoint file; then finish.
        var resumedEpochs: [TrainingLog.Epoch] = []
        for (attempt, stopAfter) in [2, 2].enumerated() {
            let run = try TrainingRun(try configuration("parts", resume: attempt > 0))
            var batches = 0
            let outcome = try run.run(progress: { _ in
                batches += 1
                if batches == stopAfter { run.requestStop() }
            }, epochEnd: { resumedEpochs.append($0) })
            XCTAssertEqual(outcome, .stopped)
        }
        let checkpoint = TrainingConfiguration.defaultCheckpoint(for: try configuration("parts").output)
        XCTAssertEqual(checkpoint.lastPathComponent, "model.checkpoint.safetensors")
        let saved = try TrainingCheckpoint.load(from: checkpoint)
        XCTAssertEqual([saved.epoch, saved.batchInEpoch, saved.step], [1, 1, 4])
        let last = try TrainingRun(try configuration("parts", resume: true))
        XCTAssertEqual(last.resumedAt?.epoch, 1)
        XCTAssertEqual(try last.run(epochEnd: { resumedEpochs.append($0) }), .finished)

        let expected = try Safetensors.read(whole.configuration.output)
        let actual = try Safetensors.read(last.configuration.output)
        XCTAssertEqual(actual.names, expected.names)
        for name in expected.names { XCTAssertEqual(actual[name], expected[name], name) }
        XCTAssertEqual(actual.metadata, ["activation": "mish", "arch": "resnet8", "dataset": "fashion-mnist"])

        func figures(_ e: TrainingLog.Epoch) -> [Double] {
            [Double(e.epoch), e.trainLoss, e.trainAccuracy, e.testLoss, e.testAccuracy, Double(e.images), e.learningRate]
        }
        XCTAssertEqual(resumedEpochs.map(figures), wholeEpochs.map(figures))
        XCTAssertEqual(wholeEpochs.map(\.images), [24, 24])
        let card = try XCTUnwrap(ModelCard.load(forWeights: last.configuration.output))
        XCTAssertEqual(card.metrics, try XCTUnwrap(ModelCard.load(forWeights: whole.configuration.output)).metrics)
    }

    func testTheWeightsAndCardDescribeTheModelAndEvalAgreesWithTheTestFigures() throws {
        let run = try TrainingRun(try configuration("card"))
        var epochs: [TrainingLog.Epoch] = []
        XCTAssertEqual(try run.run(epochEnd: { epochs.append($0) }), .finished)
        let output = run.configuration.output

        let card = try XCTUnwrap(ModelCard.load(forWeights: output))
        XCTAssertEqual(card.name, "model")
        XCTAssertEqual(card.architecture, "resnet8")
        XCTAssertEqual(card.depth, 8)
        XCTAssertEqual(card.activation, "mish")
        XCTAssertEqual(card.dataset, "fashion-mnist")
        XCTAssertEqual(card.split, "train")
        XCTAssertEqual(card.inputChannels, 1)
        XCTAssertEqual(card.classCount, 10)
        XCTAssertEqual(card.preprocessing?.mean.map(Float.init), Normalization.fashionMNIST.mean)
        XCTAssertEqual(card.recipe, ["lr": "0.05"])
        XCTAssertEqual(card.seed, 3)
        XCTAssertEqual(card.epochs, 2)
        // resnet8, 1 channel, 10 classes, by hand: conv1 144 + bn1 32; stage 1: 2·2304 + 2·32;
        // stage 2: 4608 + 9216 + 2·64; stage 3: 18432 + 36864 + 2·128; linear 640 + 10.
        XCTAssertEqual(card.parameterCount, 144 + 32 + 4672 + 13952 + 55552 + 650)
        XCTAssertNotNil(card.machine)
        XCTAssertFalse(card.commit?.isEmpty ?? true)
        XCTAssertGreaterThan(card.trainingImagesPerSecond ?? 0, 0)
        XCTAssertGreaterThan(card.wallTimeSeconds ?? 0, 0)

        // The file loads as `landscape eval` loads it, and eval-mode BN on the
        // first 12 test images gives the card's test figures.
        let loaded = try LoadedModel.load(output)
        XCTAssertEqual(loaded.model.architecture, run.architecture)
        let set = try EvaluationSet.build(EvaluationSetRequest(path: run.configuration.dataPath, split: .test, samples: 12),
                                          card: loaded.card)
        let result = try Evaluator(threads: 1).evaluate(InferenceNetwork(loaded.model), on: set.data)
        XCTAssertEqual(card.metrics?.testLoss ?? .nan, result.meanLoss, accuracy: 1e-12)
        XCTAssertEqual(card.metrics?.testAccuracy, result.accuracy)
        XCTAssertEqual(card.metrics?.trainLoss, epochs.last?.trainLoss)

        // Snapshots: the initial weights and one file per epoch; the last is the final model.
        let snapshots = try FileManager.default.contentsOfDirectory(atPath: run.configuration.snapshots!.path).sorted()
        XCTAssertEqual(snapshots, ["epoch-000.safetensors", "epoch-001.safetensors", "epoch-002.safetensors"])
        // The tensors are the final model's; the metadata adds where in training they were taken.
        let last = try Safetensors.read(run.configuration.snapshotURL(epoch: 2)!), final = try Safetensors.read(output)
        XCTAssertEqual(last.names, final.names)
        for name in final.names { XCTAssertEqual(last[name], final[name], name) }
        let info = try XCTUnwrap(SnapshotInfo(metadata: last.metadata, source: "epoch-002"))
        XCTAssertEqual([Double(info.step), info.epoch], [6, 2])
        XCTAssertEqual(info.trainLoss, epochs.last?.trainLoss)
    }

    func testResumingWithAnotherRecipeOrStartingOverAnExistingCheckpointIsRefused() throws {
        let run = try TrainingRun(try configuration("refuse"))
        var batches = 0
        XCTAssertEqual(try run.run(progress: { _ in batches += 1; if batches == 1 { run.requestStop() } }), .stopped)
        XCTAssertThrowsError(try TrainingRun(try configuration("refuse"))) { error in
            XCTAssertTrue("\(error)".contains("already exists: pass --resume"), "\(error)")
        }
        XCTAssertThrowsError(try TrainingRun(try configuration("refuse", resume: true, lr: 0.2))) { error in
            XCTAssertTrue("\(error)".contains("has recipe"), "\(error)")
        }
        XCTAssertThrowsError(try TrainingRun(try configuration("absent", resume: true))) { error in
            XCTAssertTrue("\(error)".contains("--resume: no checkpoint at"), "\(error)")
        }
    }
}
