import Foundation
import XCTest
import LandscapeCore
import LandscapeEngine
import LandscapeIO
@testable import Landscape

/// `--snapshot-every`: snapshots every N optimizer steps carry where in
/// training they were taken, the final model is the last one, and a run
/// stopped and resumed writes the very same files as one that never stopped.
final class TrainingSnapshotTests: XCTestCase {
    private var root: URL!

    override func setUpWithError() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("landscape-snapshots-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try TrainingRunTests.writeFashionLikeData(at: root.appendingPathComponent("fashion-tiny"))
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: root) }

    /// resnet8 on 24 images in batches of 8: 3 steps per epoch, 6 in all.
    private func configuration(_ name: String, every: Int? = 4, resume: Bool = false) throws -> TrainingConfiguration {
        let recipe = try TrainingRecipe(epochs: 2, batchSize: 8, schedule: .cosine(rate: 0.05, floor: 0), seed: 5)
        return TrainingConfiguration(depth: 8, activation: Activation(.relu),
                                     dataPath: root.appendingPathComponent("fashion-tiny").path, recipe: recipe,
                                     trainLimit: 24, evalLimit: 8, threads: 2,
                                     output: root.appendingPathComponent("\(name)/model.safetensors"),
                                     snapshots: root.appendingPathComponent("\(name)/snapshots"), snapshotEvery: every,
                                     resume: resume)
    }

    private func files(_ directory: URL) throws -> [String: Data] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        return try Dictionary(uniqueKeysWithValues: names.map { ($0, try Data(contentsOf: directory.appendingPathComponent($0))) })
    }

    func testSnapshotsEveryNStepsCarryStepEpochRateAndLossAndEndWithTheFinalModel() throws {
        let run = try TrainingRun(try configuration("whole"))
        var losses: [Double] = []
        XCTAssertEqual(try run.run(progress: { losses.append($0.loss) }), .finished)
        let directory = run.configuration.snapshots!
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(),
                       ["step-0000000.safetensors", "step-0000004.safetensors", "step-0000006.safetensors"])
        let infos = try [0, 4, 6].map { step -> SnapshotInfo in
            let dict = try Safetensors.read(run.configuration.snapshotURL(step: step)!)
            XCTAssertEqual(dict.metadata["arch"], "resnet8")
            return try XCTUnwrap(SnapshotInfo(metadata: dict.metadata, source: "step \(step)"))
        }
        XCTAssertEqual(infos.map(\.step), [0, 4, 6])
        XCTAssertEqual(infos.map(\.epoch), [0, 4.0 / 3.0, 2])
        XCTAssertNil(infos[0].trainLoss)
        // Every batch has 8 images: the window means are plain means of the batch losses.
        XCTAssertEqual(infos[1].trainLoss ?? .nan, losses[0..<4].reduce(0, +) / 4, accuracy: 1e-12)
        XCTAssertEqual(infos[2].trainLoss ?? .nan, losses[4..<6].reduce(0, +) / 2, accuracy: 1e-12)
        let recipe = run.configuration.recipe
        XCTAssertEqual(infos[0].learningRate, recipe.learningRate(epoch: 0, batch: 0, batchesPerEpoch: 3))
        XCTAssertEqual(infos[1].learningRate, recipe.learningRate(epoch: 1, batch: 0, batchesPerEpoch: 3))
        XCTAssertEqual(infos[2].learningRate, recipe.learningRate(epoch: 1, batch: 2, batchesPerEpoch: 3))
        // The final model is the last snapshot (tensors equal; the metadata adds where it was taken).
        let final = try Safetensors.read(run.configuration.output)
        let last = try Safetensors.read(run.configuration.snapshotURL(step: 6)!)
        XCTAssertEqual(last.names, final.names)
        for name in final.names { XCTAssertEqual(last[name], final[name], name) }
    }

    func testSnapshotEveryResumesExactly() throws {
        let whole = try TrainingRun(try configuration("whole", every: 2))
        XCTAssertEqual(try whole.run(), .finished)
        // Stop after step 1 (between snapshots), then after step 4 (on one, mid epoch 2), then finish.
        for (attempt, stopAfter) in [1, 3].enumerated() {
            let run = try TrainingRun(try configuration("parts", every: 2, resume: attempt > 0))
            var batches = 0
            XCTAssertEqual(try run.run(progress: { _ in
                batches += 1
                if batches == stopAfter { run.requestStop() }
            }), .stopped)
        }
        XCTAssertEqual(try TrainingRun(try configuration("parts", every: 2, resume: true)).run(), .finished)
        let expected = try files(whole.configuration.snapshots!)
        XCTAssertEqual(expected.keys.sorted(), (0...3).map { String(format: "step-%07d.safetensors", $0 * 2) })
        let actual = try files(try configuration("parts", every: 2).snapshots!)
        XCTAssertEqual(actual.keys.sorted(), expected.keys.sorted())
        for (name, bytes) in expected { XCTAssertEqual(actual[name], bytes, "\(name) differs after stop and resume") }
    }

    func testResumingWithAnotherSnapshotRateOrARateWithoutADirectoryIsRefused() throws {
        let run = try TrainingRun(try configuration("rate", every: 2))
        var batches = 0
        XCTAssertEqual(try run.run(progress: { _ in batches += 1; if batches == 1 { run.requestStop() } }), .stopped)
        XCTAssertThrowsError(try TrainingRun(try configuration("rate", every: 3, resume: true))) { error in
            XCTAssertTrue("\(error)".contains("has snapshots every 2 but this run asks for 3 (--snapshot-every)"), "\(error)")
        }
        var noDirectory = try configuration("none", every: 2)
        noDirectory.snapshots = nil
        XCTAssertThrowsError(try TrainingRun(noDirectory)) { error in
            XCTAssertTrue("\(error)".contains("expected --snapshots DIR"), "\(error)")
        }
        XCTAssertThrowsError(try TrainingRun(try configuration("zero", every: 0))) { error in
            XCTAssertTrue("\(error)".contains("--snapshot-every 0: expected at least 1"), "\(error)")
        }
    }
}
