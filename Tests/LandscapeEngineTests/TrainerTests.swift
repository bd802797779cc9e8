import XCTest
import LandscapeEngine
import LandscapeCore

/// The epoch loop: order, schedule, callbacks, and a resumed run that is
/// bit-identical to one that never stopped.
final class TrainerTests: XCTestCase {
    func testAnInterruptedAndResumedRunGivesBitIdenticalWeights() throws {
        let source = SyntheticSource(count: 20)
        let recipe = try Self.recipe(epochs: 2)   // batches of 6: 4 per epoch, the last one of 2 images
        let start = TrainingState.initial(recipe: recipe, architecture: try Self.architecture())
        let whole = try Trainer(state: start, source: source, threads: 2)
        XCTAssertEqual(try whole.run(), .finished)

        // Stopped mid-epoch (after step 3), at the epoch boundary (step 4) and mid-epoch
        // again (step 6), each time saved as tensors + metadata and continued by a new trainer.
        var state = start
        for stopAfter in [3, 1, 2] {
            let trainer = try Trainer(state: state, source: source, threads: 1)
            var steps = 0
            let outcome = try trainer.run(progress: { _ in
                steps += 1
                if steps == stopAfter { trainer.requestStop() }
            })
            XCTAssertEqual(outcome, .stopped)
            let saved = trainer.state
            state = try TrainingState(tensors: saved.tensors, metadata: saved.metadata)
        }
        XCTAssertEqual(state.step, 6)
        XCTAssertEqual(state.epoch, 1)
        XCTAssertEqual(state.batchInEpoch, 2)
        let resumed = try Trainer(state: state, source: source, threads: 2)
        XCTAssertEqual(try resumed.run(), .finished)

        XCTAssertEqual(resumed.state.step, 8)
        XCTAssertEqual(resumed.state.model.values, whole.state.model.values)
        XCTAssertEqual(resumed.state.momentumBuffer, whole.state.momentumBuffer)
        XCTAssertEqual(resumed.state.generator, whole.state.generator)
        XCTAssertEqual(resumed.state, whole.state)
    }

    func testTheFirstStepsMatchTrainStepsOnTheShuffledBatches() throws {
        let source = SyntheticSource(count: 10)
        let recipe = try Self.recipe(epochs: 1, batchSize: 4)
        let start = TrainingState.initial(recipe: recipe, architecture: try Self.architecture())
        let trainer = try Trainer(state: start, source: source, threads: 1)
        var rates: [Double] = []
        try trainer.run(progress: { rates.append($0.learningRate) })

        // The same three steps by hand: shuffled order, source fill, schedule, SGD.
        var model = start.model
        var generator = start.generator
        var sgd = try SGD(learningRate: 0, momentum: recipe.momentum, nesterov: recipe.nesterov,
                          weightDecay: recipe.weightDecay)
        let network = try TrainingNetwork(architecture: model.architecture, batchCapacity: 4, height: 8, width: 8)
        let order = Trainer.order(count: 10, seed: recipe.seed, epoch: 0)
        for batch in 0..<3 {
            let indices = order[(batch * 4)..<min(batch * 4 + 4, 10)]
            var pixels = [Float](repeating: 0, count: indices.count * 3 * 64)
            var labels = [Int32](repeating: 0, count: indices.count)
            try source.fill(indices, pixels: &pixels, labels: &labels, generator: &generator)
            // Cosine over one epoch of 3 batches, from 0.05 to 0.
            sgd.learningRate = 0.05 * (1 + cos(Double.pi * Double(batch) / 3)) / 2
            XCTAssertEqual(rates[batch], sgd.learningRate, accuracy: 1e-15)
            _ = try network.trainStep(model: &model, optimizer: &sgd, images: pixels, labels: labels)
        }
        XCTAssertEqual(trainer.state.model.values, model.values)
        XCTAssertEqual(trainer.state.momentumBuffer, sgd.momentumBuffer)
        XCTAssertEqual(trainer.state.generator, generator)
    }

    func testCallbacksReportEveryBatchAndEpoch() throws {
        let source = SyntheticSource(count: 14)
        let recipe = try Self.recipe(epochs: 2, batchSize: 5)
        let trainer = try Trainer(state: .initial(recipe: recipe, architecture: try Self.architecture()), source: source)
        var reports: [TrainingProgress] = []
        var summaries: [EpochSummary] = []
        try trainer.run(progress: { reports.append($0) }, endOfEpoch: { summary, model in
            summaries.append(summary)
            XCTAssertEqual(model, trainer.state.model)
        })
        XCTAssertEqual(reports.map(\.epoch), [0, 0, 0, 1, 1, 1])
        XCTAssertEqual(reports.map(\.batch), [0, 1, 2, 0, 1, 2])
        XCTAssertEqual(reports.map(\.step), Array(1...6))
        XCTAssertTrue(reports.allSatisfy { $0.batchesPerEpoch == 3 && $0.imagesPerSecond > 0 && $0.loss > 0 })
        XCTAssertEqual(summaries.map(\.epoch), [0, 1])
        XCTAssertEqual(summaries.map(\.images), [14, 14])
        // Epoch loss: the image-weighted mean of its batches (5, 5, 4 images).
        let first = reports.prefix(3).map(\.loss)
        XCTAssertEqual(summaries[0].loss, (5 * first[0] + 5 * first[1] + 4 * first[2]) / 14, accuracy: 1e-12)
        XCTAssertTrue(trainer.state.isFinished)
    }

    func testEachEpochIsASeededPermutation() {
        let a = Trainer.order(count: 50, seed: 3, epoch: 0)
        XCTAssertEqual(a.sorted(), Array(0..<50))
        XCTAssertEqual(a, Trainer.order(count: 50, seed: 3, epoch: 0))
        XCTAssertNotEqual(a, Trainer.order(count: 50, seed: 3, epoch: 1))
        XCTAssertNotEqual(a, Trainer.order(count: 50, seed: 4, epoch: 0))
    }

    func testStateRoundTripsThroughTensorsAndMetadata() throws {
        let source = SyntheticSource(count: 8)
        let trainer = try Trainer(state: .initial(recipe: try Self.recipe(epochs: 1, batchSize: 4),
                                                  architecture: try Self.architecture()), source: source)
        let fresh = trainer.state
        XCTAssertFalse(fresh.tensors.contains { $0.0.hasPrefix(TrainingState.momentumPrefix) })
        XCTAssertEqual(try TrainingState(tensors: fresh.tensors, metadata: fresh.metadata), fresh)
        try trainer.run()
        let trained = trainer.state
        let names = trained.tensors.map(\.0)
        XCTAssertTrue(names.contains("layer1.0.bn1.running_var"))
        XCTAssertTrue(names.contains("optimizer.momentum.conv1.weight"))
        XCTAssertFalse(names.contains("optimizer.momentum.bn1.running_mean"))   // buffers have no momentum
        XCTAssertEqual(try TrainingState(tensors: trained.tensors, metadata: trained.metadata), trained)
    }

    func testRestoringNamesTheMissingOrMalformedField() throws {
        let state = TrainingState.initial(recipe: try Self.recipe(epochs: 1), architecture: try Self.architecture())
        func refusal(_ tensors: [(String, Tensor)], _ metadata: [String: String]) -> String {
            do {
                _ = try TrainingState(tensors: tensors, metadata: metadata)
                return "accepted"
            } catch { return "\(error)" }
        }
        var metadata = state.metadata
        metadata["rng_state"] = "-1"
        XCTAssertTrue(refusal(state.tensors, metadata).contains("'rng_state' is -1"))
        metadata = state.metadata
        metadata.removeValue(forKey: "recipe")
        XCTAssertTrue(refusal(state.tensors, metadata).contains("'recipe' is missing"))
        let momentum = [("optimizer.momentum.conv1.weight", Tensor(zeros: [16, 3, 3, 3]))]
        XCTAssertTrue(refusal(state.tensors + momentum, state.metadata)
            .contains("'optimizer.momentum.bn1.weight' is missing"))
        XCTAssertTrue(refusal(Array(state.tensors.dropFirst()), state.metadata).contains("conv1.weight"))
    }

    // MARK: - helpers

    static func architecture() throws -> ResNetArchitecture { try ResNetArchitecture(depth: 8) }

    static func recipe(epochs: Int, batchSize: Int = 6) throws -> TrainingRecipe {
        try TrainingRecipe(epochs: epochs, batchSize: batchSize, schedule: .cosine(rate: 0.05, floor: 0),
                           momentum: 0.9, nesterov: true, weightDecay: 5e-4, seed: 11)
    }
}

/// 8x8x3 images from a fixed generator per index, label = index mod 10, and a
/// random horizontal flip drawn from the trainer's generator (augmentation).
struct SyntheticSource: TrainingBatchSource {
    let count: Int
    var imageHeight: Int { 8 }
    var imageWidth: Int { 8 }

    func fill(_ indices: ArraySlice<Int>, pixels: UnsafeMutableBufferPointer<Float>,
              labels: UnsafeMutableBufferPointer<Int32>, generator: inout SeededGenerator) throws {
        for (slot, index) in indices.enumerated() {
            var rng = TestRNG(UInt64(index) + 500)
            let flip = generator.nextDouble() < 0.5
            for c in 0..<3 {
                for y in 0..<8 {
                    for x in 0..<8 {
                        let value = Float(rng.symmetric()) + (c == index % 3 ? 1 : 0)
                        pixels[((slot * 3 + c) * 8 + y) * 8 + (flip ? 7 - x : x)] = value
                    }
                }
            }
            labels[slot] = Int32(index % 10)
        }
    }
}

extension SyntheticSource {
    /// Array convenience for the tests' manual loop.
    func fill(_ indices: ArraySlice<Int>, pixels: inout [Float], labels: inout [Int32],
              generator: inout SeededGenerator) throws {
        try pixels.withUnsafeMutableBufferPointer { p in
            try labels.withUnsafeMutableBufferPointer { l in try fill(indices, pixels: p, labels: l, generator: &generator) }
        }
    }
}
