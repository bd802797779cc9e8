import XCTest
import LandscapeEngine

/// The float32 forward pass (BN folded, im2col + BLAS, CNHW, fused epilogues)
/// against a plain float64 ResNet written from the definitions, with BN
/// applied unfolded in eval mode — an independent path through every layer.
final class ForwardPassTests: XCTestCase {
    func testTinyResNetMatchesFloat64ReferenceForEveryShippedActivationAndAlgorithm() throws {
        for kind in [ActivationKind.relu, .swish, .mish] { for algorithm in ConvolutionAlgorithm.allCases {
            let arch = try ResNetArchitecture(depth: 8, inputChannels: 3, classCount: 10, activation: Activation(kind))
            let model = Self.randomModel(arch, seed: 7)
            let data = try Self.randomImages(count: 5, channels: 3, height: 12, width: 10, seed: 3)
            let result = try Evaluator(threads: 2, microBatch: 2, algorithm: algorithm)
                .evaluate(InferenceNetwork(model), on: data, keepLogits: true)
            for image in 0..<data.count {
                let expected = ReferenceResNet(model: model).logits(data, image: image)
                for j in 0..<10 {
                    XCTAssertEqual(Double(result.logits![image * 10 + j]), expected[j], accuracy: 2e-4 * max(1, abs(expected[j])),
                                   "\(kind) \(algorithm) image \(image) logit \(j)")
                }
            }
        } }
    }

    func testOneChannelInputOfOddSizeWorks() throws {
        let arch = try ResNetArchitecture(depth: 8, inputChannels: 1, classCount: 10)
        let model = Self.randomModel(arch, seed: 11)
        let data = try Self.randomImages(count: 3, channels: 1, height: 9, width: 11, seed: 5)
        for algorithm in ConvolutionAlgorithm.allCases {
            let result = try Evaluator(threads: 1, algorithm: algorithm).evaluate(InferenceNetwork(model), on: data, keepLogits: true)
            let expected = ReferenceResNet(model: model).logits(data, image: 2)
            for j in 0..<10 {
                XCTAssertEqual(Double(result.logits![20 + j]), expected[j], accuracy: 2e-4 * max(1, abs(expected[j])), "\(algorithm)")
            }
        }
    }

    /// Each image's arithmetic is independent of how images are grouped: micro-batches of 4 or 8 (19 images, so
    /// both end on a short one) and 1 or 2 threads give the same logits, bit for bit, with every register
    /// kernel (Mish, so the fused epilogue too).
    func testResultsDoNotDependOnMicroBatchOrThreads() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.mish))
        let model = Self.randomModel(arch, seed: 4)
        let data = try Self.randomImages(count: 19, channels: 3, height: 16, width: 16, seed: 6)
        let network = InferenceNetwork(model)
        for algorithm in [ConvolutionAlgorithm.direct, .winograd, .winograd4, .auto] {
            let four = try Evaluator(threads: 1, microBatch: 4, algorithm: algorithm).evaluate(network, on: data, keepLogits: true)
            let eight = try Evaluator(threads: 1, microBatch: 8, algorithm: algorithm).evaluate(network, on: data, keepLogits: true)
            let eightOnTwo = try Evaluator(threads: 2, microBatch: 8, algorithm: algorithm).evaluate(network, on: data, keepLogits: true)
            XCTAssertEqual(four.logits?.count, 19 * arch.classCount, "\(algorithm)")
            XCTAssertEqual(four.logits, eight.logits, "\(algorithm): micro-batch 4 against 8")
            XCTAssertEqual(eightOnTwo.logits, eight.logits, "\(algorithm): 2 threads against 1")
        }
    }

    func testCancelledEvaluationThrows() throws {
        let model = Self.randomModel(try ResNetArchitecture(depth: 8), seed: 1)
        let data = try Self.randomImages(count: 4, channels: 3, height: 8, width: 8, seed: 1)
        XCTAssertThrowsError(try Evaluator().evaluate(InferenceNetwork(model), on: data, isCancelled: { true })) {
            XCTAssertEqual($0 as? EngineError, .cancelled)
        }
    }

    // MARK: - fixtures

    /// Weights with realistic scales, BN statistics far from identity so folding is exercised.
    static func randomModel(_ arch: ResNetArchitecture, seed: UInt64) -> ResNetModel {
        var model = ResNetModel(architecture: arch)
        var rng = TestRNG(seed)
        for entry in model.layout.entries {
            for i in entry.range {
                switch entry.role {
                case .weight: model.values[i] = Float(rng.symmetric() * (2.0 / Double(entry.filterSize)).squareRoot() * 1.7)
                case .batchNormScale: model.values[i] = Float(0.5 + rng.unit())
                case .bias, .runningMean: model.values[i] = Float(rng.symmetric() * 0.3)
                case .runningVariance: model.values[i] = Float(0.2 + rng.unit())
                }
            }
        }
        return model
    }

    static func randomImages(count: Int, channels: Int, height: Int, width: Int, seed: UInt64) throws -> EvaluationData {
        var rng = TestRNG(seed)
        let pixels = (0..<(count * channels * height * width)).map { _ in Float(rng.symmetric() * 2) }
        let labels = (0..<count).map { Int32($0 % 10) }
        return try EvaluationData(channels: channels, height: height, width: width, pixels: pixels, labels: labels)
    }
}

/// A tiny deterministic generator for test fixtures (xorshift64*), independent of the engine's RNG.
struct TestRNG {
    var state: UInt64
    init(_ seed: UInt64) { state = seed &* 0x9E3779B97F4A7C15 | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12; state ^= state << 25; state ^= state >> 27
        return state &* 2685821657736338717
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
    mutating func symmetric() -> Double { unit() * 2 - 1 }
}
