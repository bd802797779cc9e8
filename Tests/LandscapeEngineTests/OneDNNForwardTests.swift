import XCTest
@testable import LandscapeEngine

/// `--convolution onednn`: oneDNN's convolutions (with bias, sum and eltwise post-ops, in the
/// layouts it picks) against a naive float64 convolution on every plane shape the ResNets meet,
/// its fused activations against the float64 definitions, and whole networks against the float64
/// ResNet (`ReferenceResNet`). The 846 reference CIFAR-10 images are checked in LandscapeTests
/// (`OneDNNReferenceTests`), where the checkpoint loader is.
final class OneDNNForwardTests: XCTestCase {
    /// float32 sums of up to 576 products of magnitude ≤ 0.3, as for the register kernels.
    static let convolutionTolerance = 1e-4

    func testConvolutionMatchesFloat64OnEveryPlaneShape() throws {
        let shapes: [(channels: Int, outChannels: Int, height: Int, width: Int, stride: Int)] = [
            (3, 16, 32, 32, 1), (16, 16, 32, 32, 1), (16, 32, 32, 32, 2), (32, 32, 16, 16, 1), (32, 64, 16, 16, 2),
            (64, 64, 8, 8, 1), (1, 16, 28, 28, 1), (16, 16, 28, 28, 1), (16, 32, 28, 28, 2), (32, 32, 14, 14, 1),
            (32, 64, 14, 14, 2), (64, 64, 7, 7, 1), (5, 8, 9, 11, 1), (3, 8, 9, 11, 2), (2, 4, 1, 1, 1),
        ]
        for (index, shape) in shapes.enumerated() {
            var rng = TestRNG(UInt64(300 + index))
            let images = 3
            let (outH, outW) = ((shape.height - 1) / shape.stride + 1, (shape.width - 1) / shape.stride + 1)
            let input = (0..<(shape.channels * images * shape.height * shape.width)).map { _ in Float(rng.symmetric()) }
            let weight = (0..<(shape.outChannels * shape.channels * 9)).map { _ in Float(rng.symmetric() * 0.3) }
            let bias = (0..<shape.outChannels).map { _ in Float(rng.symmetric()) }
            let shortcut = (0..<(shape.outChannels * images * outH * outW)).map { _ in Float(rng.symmetric()) }
            for (withShortcut, relu) in [(false, false), (true, false), (true, true)] {
                let got = try OneDNN.convolveCNHW(input, images: images, channels: shape.channels, height: shape.height,
                                                  width: shape.width, weight: weight, bias: bias, outChannels: shape.outChannels,
                                                  stride: shape.stride, shortcut: withShortcut ? shortcut : nil,
                                                  activation: relu ? Activation(.relu) : nil)
                var worst = 0.0, negatives = 0
                for o in 0..<shape.outChannels { for b in 0..<images { for y in 0..<outH { for x in 0..<outW {
                    let at = ((o * images + b) * outH + y) * outW + x
                    var sum = Double(bias[o]) + (withShortcut ? Double(shortcut[at]) : 0)
                    for c in 0..<shape.channels { for dy in 0..<3 { for dx in 0..<3 {
                        let iy = shape.stride * y + dy - 1, ix = shape.stride * x + dx - 1
                        guard iy >= 0, iy < shape.height, ix >= 0, ix < shape.width else { continue }
                        sum += Double(weight[(o * shape.channels + c) * 9 + dy * 3 + dx])
                            * Double(input[((c * images + b) * shape.height + iy) * shape.width + ix])
                    } } }
                    if sum < 0 { negatives += 1 }
                    let expected = relu ? max(0, sum) : sum
                    worst = max(worst, got[at].isNaN ? .infinity : abs(Double(got[at]) - expected))
                } } } }
                XCTAssertLessThan(worst, Self.convolutionTolerance, "\(shape) shortcut \(withShortcut) relu \(relu)")
                XCTAssertGreaterThan(negatives, 0, "\(shape): the ReLU case must see negative sums")
            }
        }
    }

    /// Each activation oneDNN fuses, through a 16-channel convolution that passes x through (identity
    /// centre taps, zero bias: the JIT path the network takes), against `Activation.value(Double)` over
    /// [-30, 30]: within 1e-5 absolute + 1e-5 relative (oneDNN's polynomial exp/tanh/erf in float32).
    func testFusedActivationsMatchTheFloat64Definitions() throws {
        let (channels, width) = (16, 375)
        let count = channels * width
        let inputs = (0..<count).map { Float(-30 + 60 * Double($0) / Double(count - 1)) }
        var identity = [Float](repeating: 0, count: channels * channels * 9)
        for c in 0..<channels { identity[(c * channels + c) * 9 + 4] = 1 }
        for kind in ActivationKind.allCases where kind != .nish {
            let activation = Activation(kind)
            let got = try OneDNN.convolveCNHW(inputs, images: 1, channels: channels, height: 1, width: width, weight: identity,
                                              bias: [Float](repeating: 0, count: channels), outChannels: channels, stride: 1,
                                              activation: activation)
            var worst = 0.0, worstAt: Float = 0
            for (x, y) in zip(inputs, got) {
                let exact = activation.value(Double(x))
                let error = abs(Double(y) - exact) / (1e-5 + 1e-5 * abs(exact))
                if !(error <= worst) { worst = error; worstAt = x }
            }
            XCTAssertLessThanOrEqual(worst, 1, "\(kind): worst at x = \(worstAt)")
        }
    }

    func testTinyResNetsMatchFloat64ForEveryActivationOneDNNHas() throws {
        for kind in ActivationKind.allCases where kind != .nish {
            for (channels, height, width) in [(3, 12, 10), (1, 9, 11)] {
                let arch = try ResNetArchitecture(depth: 8, inputChannels: channels, classCount: 10, activation: Activation(kind))
                let model = ForwardPassTests.randomModel(arch, seed: 7)
                let data = try ForwardPassTests.randomImages(count: 5, channels: channels, height: height, width: width, seed: 3)
                let result = try Evaluator(threads: 2, microBatch: 2, algorithm: .onednn)
                    .evaluate(InferenceNetwork(model), on: data, keepLogits: true)
                for image in 0..<data.count {
                    let expected = ReferenceResNet(model: model).logits(data, image: image)
                    for j in 0..<10 {
                        XCTAssertEqual(Double(result.logits![image * 10 + j]), expected[j], accuracy: 2e-4 * max(1, abs(expected[j])),
                                       "\(kind) \(channels)x\(height)x\(width) image \(image) logit \(j)")
                    }
                }
            }
        }
    }

    /// A deeper network (two blocks per stage: identity shortcuts summed in place, and option A) at CIFAR size.
    func testResNet14AtCIFARSizeMatchesFloat64() throws {
        let arch = try ResNetArchitecture(depth: 14, activation: Activation(.swish))
        let model = ForwardPassTests.randomModel(arch, seed: 21)
        let data = try ForwardPassTests.randomImages(count: 3, channels: 3, height: 32, width: 32, seed: 8)
        let result = try Evaluator(threads: 1, microBatch: 8, algorithm: .onednn).evaluate(InferenceNetwork(model), on: data, keepLogits: true)
        for image in 0..<data.count {
            let expected = ReferenceResNet(model: model).logits(data, image: image)
            for j in 0..<10 {
                XCTAssertEqual(Double(result.logits![image * 10 + j]), expected[j], accuracy: 2e-4 * max(1, abs(expected[j])),
                               "image \(image) logit \(j)")
            }
        }
    }

    /// Micro-batches are fixed and a short one is padded to full size, so the thread count changes nothing
    /// and an image gets the same bits whichever batch it is in.
    func testResultsDoNotDependOnThreadCountOrBatchFill() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.mish))
        let model = ForwardPassTests.randomModel(arch, seed: 1)
        let data = try ForwardPassTests.randomImages(count: 37, channels: 3, height: 16, width: 16, seed: 9)
        let network = InferenceNetwork(model)
        let one = try Evaluator(threads: 1, microBatch: 8, algorithm: .onednn).evaluate(network, on: data, keepLogits: true)
        let two = try Evaluator(threads: 2, microBatch: 8, algorithm: .onednn).evaluate(network, on: data, keepLogits: true)
        XCTAssertEqual(one.losses, two.losses)
        XCTAssertEqual(one.logits, two.logits)
        // Image 32 alone (in a batch padded with zero images) and in the last batch of 37 (images 32-36).
        let alone = try EvaluationData(channels: 3, height: 16, width: 16,
                                       pixels: Array(data.pixels[(32 * data.imageSize)..<(33 * data.imageSize)]), labels: [data.labels[32]])
        let single = try Evaluator(threads: 1, microBatch: 8, algorithm: .onednn).evaluate(network, on: alone, keepLogits: true)
        XCTAssertEqual(single.logits!, Array(one.logits![(32 * 10)..<(33 * 10)]))
    }

    func testNishIsRefusedWithAClearError() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.nish))
        let model = ForwardPassTests.randomModel(arch, seed: 1)
        let data = try ForwardPassTests.randomImages(count: 2, channels: 3, height: 8, width: 8, seed: 1)
        XCTAssertFalse(ConvolutionAlgorithm.onednn.supports(arch.activation))
        XCTAssertThrowsError(try Evaluator(threads: 1, algorithm: .onednn).evaluate(InferenceNetwork(model), on: data)) {
            let message = "\($0)"
            XCTAssertTrue(message.contains("nish") && message.contains("--convolution winograd"), message)
        }
    }

    func testKernelNameNamesOneDNNAndItsISA() {
        XCTAssertTrue(ConvolutionAlgorithm.onednn.kernelName.hasPrefix("onednn-"), ConvolutionAlgorithm.onednn.kernelName)
        XCTAssertFalse(ConvolutionAlgorithm.onednn.kernelName.contains("other"))
    }
}
