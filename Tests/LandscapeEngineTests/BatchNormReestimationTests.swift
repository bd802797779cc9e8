import XCTest
@testable import LandscapeEngine

/// BN re-estimation (the landscape's `recompute` mode) against independent
/// references: the first layer's statistics computed here in float64 from a
/// naive convolution, and eval-mode inference reproducing training-mode
/// forward once the statistics come from the evaluated batch itself.
final class BatchNormReestimationTests: XCTestCase {
    let size = 8, channels = 3

    private func tinyModel(seed: UInt64) throws -> ResNetModel {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.relu))
        var rng = TestRNG(seed)
        return ResNetModel.randomlyInitialized(arch, using: &rng)
    }

    /// Per output channel of conv1 (3x3, stride 1, zero padding 1) over `images`: (mean, unbiased variance), float64.
    private func firstLayerMoments(_ model: ResNetModel, images: [Float], range: Range<Int>) -> [(Double, Double)] {
        let weight = model.tensor("conv1.weight")!
        let outChannels = weight.shape[0], plane = size * size
        return (0..<outChannels).map { o in
            var values: [Double] = []
            for n in range {
                for y in 0..<size {
                    for x in 0..<size {
                        var sum = 0.0
                        for c in 0..<channels {
                            for ky in 0..<3 {
                                for kx in 0..<3 {
                                    let iy = y + ky - 1, ix = x + kx - 1
                                    guard (0..<size).contains(iy), (0..<size).contains(ix) else { continue }
                                    sum += Double(weight.scalars[((o * channels + c) * 3 + ky) * 3 + kx])
                                        * Double(images[(n * channels + c) * plane + iy * size + ix])
                                }
                            }
                        }
                        values.append(sum)
                    }
                }
            }
            let mean = values.reduce(0, +) / Double(values.count)
            let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(values.count - 1)
            return (mean, variance)
        }
    }

    func testFirstLayerStatisticsAreTheAverageOverBatchesOfFloat64Moments() throws {
        var model = try tinyModel(seed: 5)
        let (images, _) = TrainingNetworkTests.batch(count: 11, seed: 77)
        let network = try TrainingNetwork(architecture: model.architecture, batchCapacity: 6, height: size, width: size, threads: 2)
        try network.reestimateBatchNormStatistics(model: &model, images: images, imageCount: 11, batchSize: 6)
        // Batches of 6 and 5 images, each weighing the same (PyTorch's momentum=None average).
        let first = firstLayerMoments(model, images: images, range: 0..<6)
        let second = firstLayerMoments(model, images: images, range: 6..<11)
        let mean = model.tensor("bn1.running_mean")!.scalars, variance = model.tensor("bn1.running_var")!.scalars
        for c in 0..<mean.count {
            let expectedMean = (first[c].0 + second[c].0) / 2, expectedVariance = (first[c].1 + second[c].1) / 2
            XCTAssertEqual(Double(mean[c]), expectedMean, accuracy: 1e-5 * max(1, abs(expectedMean)), "running_mean[\(c)]")
            XCTAssertEqual(Double(variance[c]), expectedVariance, accuracy: 1e-5 * max(1, expectedVariance), "running_var[\(c)]")
        }
    }

    func testEvalModeWithTheBatchsOwnStatisticsReproducesTrainingModeForward() throws {
        let model = try tinyModel(seed: 9)
        let count = 8
        let (images, labels) = TrainingNetworkTests.batch(count: count, seed: 31)
        let network = try TrainingNetwork(architecture: model.architecture, batchCapacity: count, height: size, width: size, threads: 1)
        var training = model
        let trainingLoss = try network.computeGradients(model: &training, images: images, labels: labels).loss

        var reestimated = model
        try network.reestimateBatchNormStatistics(model: &reestimated, images: images, imageCount: count, batchSize: count)
        // Training mode normalizes with the biased variance; the running one is unbiased (× M/(M − 1)).
        for layer in network.plan.layers {
            let m = Float(count * layer.plane)
            for c in 0..<layer.channels { reestimated.values[layer.runningVariance + c] *= (m - 1) / m }
        }
        let data = try EvaluationData(channels: channels, height: size, width: size, pixels: images, labels: labels)
        let evalLoss = try Evaluator(threads: 1).evaluate(InferenceNetwork(reestimated), on: data).meanLoss
        XCTAssertEqual(evalLoss, trainingLoss, accuracy: 1e-4 * max(1, trainingLoss))
        // The trained statistics give a different loss, so the comparison above is not vacuous.
        let before = try Evaluator(threads: 1).evaluate(InferenceNetwork(model), on: data).meanLoss
        XCTAssertGreaterThan(abs(before - trainingLoss), 1e-3)
    }

    func testOnlyRunningStatisticsChangeAndOldOnesDoNotMatter() throws {
        let model = try tinyModel(seed: 12)
        var other = model
        for entry in model.layout.entries where entry.name.hasSuffix("running_mean") || entry.name.hasSuffix("running_var") {
            for i in entry.range { other.values[i] = Float(i % 7) + 0.5 }
        }
        let (images, _) = TrainingNetworkTests.batch(count: 10, seed: 3)
        let network = try TrainingNetwork(architecture: model.architecture, batchCapacity: 4, height: size, width: size, threads: 2)
        var a = model, b = other
        try network.reestimateBatchNormStatistics(model: &a, images: images, imageCount: 10, batchSize: 4)
        try network.reestimateBatchNormStatistics(model: &b, images: images, imageCount: 10, batchSize: 4)
        XCTAssertEqual(a.values, b.values, "the result depends only on the images and the trainable weights")
        for entry in model.layout.entries {
            let changed = a.values[entry.range] != model.values[entry.range]
            XCTAssertEqual(changed, !entry.role.isTrainable, entry.name)
        }
    }

    /// The re-estimation-only network shares a few rotating buffers between layers; with identity
    /// shortcuts in every stage (depth 20) and option-A ones, its statistics must be the full network's, bit for bit.
    func testTheReestimationOnlyNetworkGivesTheFullNetworksStatistics() throws {
        let arch = try ResNetArchitecture(depth: 20, activation: Activation(.swish))
        var rng = TestRNG(21)
        let model = ResNetModel.randomlyInitialized(arch, using: &rng)
        let (images, labels) = TrainingNetworkTests.batch(count: 11, seed: 8)
        let full = try TrainingNetwork(architecture: arch, batchCapacity: 6, height: size, width: size, threads: 2)
        let lean = try TrainingNetwork(architecture: arch, batchCapacity: 6, height: size, width: size, threads: 2,
                                       purpose: .batchNormReestimation)
        // A block input stays until its shortcut is added, its first activation only until conv2 read it.
        XCTAssertEqual(TrainingBuffers.activationSlots(lean.plan.layers).max(), 1, "two activation slots suffice")
        var a = model, b = model
        try full.reestimateBatchNormStatistics(model: &a, images: images, imageCount: 11, batchSize: 6)
        try lean.reestimateBatchNormStatistics(model: &b, images: images, imageCount: 11, batchSize: 6)
        XCTAssertNotEqual(a.values, model.values)
        let differing = zip(a.values, b.values).enumerated().filter { $0.element.0 != $0.element.1 }.map(\.offset)
        let firstName = differing.first.map { index in model.layout.entries.first { $0.range.contains(index) }?.name ?? "?" }
        XCTAssertEqual(differing.count, 0, "values differ from index \(differing.first ?? -1) (\(firstName ?? ""))")
        // It refuses to train: it has no buffers for backward.
        var c = model
        XCTAssertThrowsError(try lean.computeGradients(model: &c, images: Array(images.prefix(6 * channels * size * size)),
                                                       labels: Array(labels.prefix(6)))) {
            XCTAssertTrue("\($0)".contains("built for BatchNorm re-estimation"), "\($0)")
        }
        XCTAssertEqual(lean.gradients, [])
    }

    func testBadBatchesAreRefusedWithTheirReason() throws {
        var model = try tinyModel(seed: 1)
        let (images, _) = TrainingNetworkTests.batch(count: 4, seed: 1)
        let network = try TrainingNetwork(architecture: model.architecture, batchCapacity: 4, height: size, width: size)
        func refusal(_ pixels: [Float], count: Int, batch: Int) -> String {
            do {
                try network.reestimateBatchNormStatistics(model: &model, images: pixels, imageCount: count, batchSize: batch)
                return "accepted"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal(images, count: 4, batch: 5).contains("expected 1...4"))
        XCTAssertTrue(refusal(images, count: 4, batch: 0).contains("batch size 0"))
        XCTAssertTrue(refusal(Array(images.dropLast()), count: 4, batch: 4).contains("pixels for 4 images"))
        XCTAssertTrue(refusal([], count: 0, batch: 4).contains("at least 1 image"))
    }
}
