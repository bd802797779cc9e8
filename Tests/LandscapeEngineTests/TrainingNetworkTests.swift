import XCTest
import LandscapeEngine

/// Training end to end on a tiny ResNet: it learns, it is reproducible, and
/// its arithmetic does not depend on how many threads run it.
final class TrainingNetworkTests: XCTestCase {
    func testTinyModelOverfitsAFixedBatch() throws {
        let run = try train(seed: 1, steps: 40, threads: 2)
        let first = run.losses.first!, last = run.losses.last!
        print("overfit: loss \(first) -> \(last) over \(run.losses.count) steps")
        XCTAssertLessThan(last, 0.2 * first)
    }

    func testSameSeedGivesBitIdenticalWeights() throws {
        let one = try train(seed: 7, steps: 6, threads: 2)
        let two = try train(seed: 7, steps: 6, threads: 2)
        XCTAssertEqual(one.model.values, two.model.values)
        XCTAssertEqual(one.losses, two.losses)
        let other = try train(seed: 8, steps: 6, threads: 2)
        XCTAssertNotEqual(one.model.values, other.model.values)
    }

    func testResultDoesNotDependOnThreadCount() throws {
        // 7 images: the two shards are unequal (3 and 4 images).
        let single = try train(seed: 3, steps: 4, threads: 1, batch: 7)
        let double = try train(seed: 3, steps: 4, threads: 2, batch: 7)
        XCTAssertEqual(single.model.values, double.model.values)
        XCTAssertEqual(single.losses, double.losses)
    }

    func testABatchSmallerThanTheCapacityGivesTheSameGradients() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.swish))
        let model = ForwardPassTests.randomModel(arch, seed: 5)
        let (images, labels) = Self.batch(count: 3, seed: 6)
        var small = model, large = model
        let exact = try TrainingNetwork(architecture: arch, batchCapacity: 3, height: 8, width: 8, threads: 1)
        let roomy = try TrainingNetwork(architecture: arch, batchCapacity: 16, height: 8, width: 8, threads: 2)
        let a = try exact.computeGradients(model: &small, images: images, labels: labels)
        let b = try roomy.computeGradients(model: &large, images: images, labels: labels)
        XCTAssertEqual(a, b)
        XCTAssertEqual(exact.gradients, roomy.gradients)
        XCTAssertEqual(small.values, large.values)
    }

    func testInvalidBatchesAreRefusedWithTheirReason() throws {
        let arch = try ResNetArchitecture(depth: 8)
        var model = ForwardPassTests.randomModel(arch, seed: 1)
        let network = try TrainingNetwork(architecture: arch, batchCapacity: 4, height: 2, width: 2)
        let image = [Float](repeating: 0.5, count: 3 * 2 * 2)
        func refusal(_ images: [Float], _ labels: [Int32]) -> String {
            do {
                _ = try network.computeGradients(model: &model, images: images, labels: labels)
                return "accepted"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal(image + image, [1, 10]).contains("label 10 of image 1"))
        XCTAssertTrue(refusal(image, [1, 2]).contains("12 pixels for 2 images of 3x2x2"))
        XCTAssertTrue(refusal(Array(repeating: 0, count: 60), [0, 1, 2, 3, 4]).contains("expected 1...4"))
        // 2x2 images shrink to 1x1 in the last stage: one image gives 1 value per channel there.
        XCTAssertTrue(refusal(image, [1]).contains("1 value per channel"))
        var other = ResNetModel(architecture: try ResNetArchitecture(depth: 14))
        XCTAssertThrowsError(try network.computeGradients(model: &other, images: image + image, labels: [0, 1]))
        XCTAssertEqual(refusal(image + image, [0, 1]), "accepted")
    }

    func testKaimingInitializationHasTheRightScaleAndIsSeeded() throws {
        let arch = try ResNetArchitecture(depth: 20)
        var rng = TestRNG(99)
        let model = ResNetModel.randomlyInitialized(arch, using: &rng)
        let conv = model.tensor("layer3.2.conv2.weight")!.scalars.map(Double.init)   // 36,864 draws, fan-in 576
        let mean = conv.reduce(0, +) / Double(conv.count)
        let std = (conv.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(conv.count)).squareRoot()
        XCTAssertEqual(mean, 0, accuracy: 0.003)
        XCTAssertEqual(std, (2.0 / 576).squareRoot(), accuracy: 0.02 * (2.0 / 576).squareRoot())
        let bias = model.tensor("linear.bias")!.scalars
        XCTAssertTrue(bias.allSatisfy { abs($0) <= 0.125 } && Set(bias).count == 10)   // U(±1/√64)
        XCTAssertTrue(model.tensor("bn1.weight")!.scalars.allSatisfy { $0 == 1 })
        XCTAssertTrue(model.tensor("layer2.0.bn2.bias")!.scalars.allSatisfy { $0 == 0 })
        XCTAssertTrue(model.tensor("layer1.0.bn1.running_var")!.scalars.allSatisfy { $0 == 1 })
        var again = TestRNG(99)
        XCTAssertEqual(ResNetModel.randomlyInitialized(arch, using: &again), model)
    }

    // MARK: - helpers

    /// `steps` SGD steps (momentum 0.9, cosine schedule) on one fixed batch from a seeded initialization.
    private func train(seed: UInt64, steps: Int, threads: Int,
                       batch: Int = 8) throws -> (model: ResNetModel, losses: [Double]) {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.relu))
        var rng = TestRNG(seed)
        var model = ResNetModel.randomlyInitialized(arch, using: &rng)
        let (images, labels) = Self.batch(count: batch, seed: 1000)
        let network = try TrainingNetwork(architecture: arch, batchCapacity: batch, height: 8, width: 8, threads: threads)
        var sgd = try SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)
        let schedule = LearningRateSchedule.cosine(rate: 0.05, floor: 0.005)
        var losses: [Double] = []
        for step in 0..<steps {
            sgd.learningRate = schedule.rate(atStep: step, totalSteps: steps)
            losses.append(try network.trainStep(model: &model, optimizer: &sgd, images: images, labels: labels).loss)
        }
        return (model, losses)
    }

    static func batch(count: Int, seed: UInt64) -> (images: [Float], labels: [Int32]) {
        var rng = TestRNG(seed)
        let images = (0..<(count * 3 * 8 * 8)).map { _ in Float(rng.symmetric()) }
        return (images, (0..<count).map { Int32($0 % 10) })
    }
}

extension TestRNG: RandomNumberGenerator {}
