import XCTest
@testable import LandscapeEngine
import LandscapeCore

/// The stride-1 weight gradient by Winograd F(2×2, 3×3) (`TrainingKernels.winogradWeightGradient`,
/// WinogradWeightGradient.c + 16 GEMMs) against the float64 sum from the definition, and a whole
/// training step on it against float64 finite differences.
final class WinogradWeightGradientTests: XCTestCase {
    /// |error| ≤ this × Σ|terms| per weight (the transforms add a few roundings per term).
    static let tolerance = 1e-5

    /// Every plane shape a ResNet-20 meets on Fashion-MNIST (28/14/7) and CIFAR-10 (32/16/8), odd and
    /// non-square ones, 1/3/16/32/64 channels, image counts that span several chunks and leave a partial
    /// one; the gradient is added onto what dW holds; strided CNHW layouts like the training network's.
    func testMatchesFloat64OnEveryPlaneShape() {
        let shapes: [(h: Int, w: Int, c: Int, o: Int, n: Int)] = [
            (28, 28, 1, 16, 9), (28, 28, 16, 16, 3), (14, 14, 32, 32, 3), (7, 7, 64, 64, 5),
            (32, 32, 3, 16, 2), (32, 32, 16, 16, 3), (16, 16, 32, 32, 3), (8, 8, 64, 64, 9),
            (5, 9, 4, 8, 4), (1, 1, 2, 2, 3), (2, 3, 16, 4, 2), (3, 2, 1, 16, 70), (6, 10, 24, 5, 3),
        ]
        for (h, w, c, o, n) in shapes {
            var rng = TestRNG(UInt64(h * 100_000 + w * 1000 + c * 10 + o))
            let plane = h * w
            // The input as the training network stores it: CNHW over a batch of n + 2 images, the shard
            // starting at image 1 (so the strides are not the plane count times n).
            let batch = n + 2
            let x = (0..<(c * batch * plane)).map { _ in Float(rng.symmetric()) }
            let dz = (0..<(o * batch * plane)).map { _ in Float(rng.symmetric()) }
            let start = (0..<(o * c * 9)).map { _ in Float(rng.symmetric()) }
            var got = start
            var scratch = [Float](repeating: .nan, count: TrainingKernels.winogradWeightGradientScratch(
                channels: c, outChannels: o, height: h, width: w))
            got.withUnsafeMutableBufferPointer { g in
                scratch.withUnsafeMutableBufferPointer { s in
                    TrainingKernels.winogradWeightGradient(
                        input: x.withUnsafeBufferPointer { $0.baseAddress! + plane },
                        layout: .init(channelStride: batch * plane, imageStride: plane), channels: c,
                        gradOutput: dz.withUnsafeBufferPointer { $0.baseAddress! + plane },
                        gradLayout: .init(channelStride: batch * plane, imageStride: plane),
                        outChannels: o, imageCount: n, height: h, width: w,
                        into: g.baseAddress!, scratch: s.baseAddress!)
                }
            }
            let worst = WeightGradientReference.check(got, start: start, x: x, dz: dz, h: h, w: w, c: c, o: o, n: n,
                                                      tolerance: Self.tolerance, label: "F(2x2)")
            print(String(format: "winograd weight gradient %dx%d C%d O%d n%d: worst error / Σ|terms| %.2e", h, w, c, o, n, worst))
        }
    }

    /// The AVX2 and AVX-512 products sum every (o, c) in the same order (input channels in eights: one
    /// outer-product code for both; else dot products in 4×3 and 4×6 blocks): the same bits, on shapes whose
    /// channel counts leave every kind of remainder block.
    func testTheSameBitsOnEveryISA() throws {
        let isas = [KernelISA.avx2, .avx512].filter(\.isSupported)
        try XCTSkipIf(isas.count < 2, "this CPU runs one of AVX2 / AVX-512 only (\(CPUFeatures.current.summary))")
        defer { try? KernelISA.select(KernelISA.best) }
        for (h, w, c, o, n) in [(14, 14, 16, 16, 3), (7, 7, 64, 64, 2), (5, 9, 7, 10, 3), (6, 6, 1, 16, 4), (4, 4, 13, 3, 2), (6, 10, 24, 5, 3)] {
            var rng = TestRNG(UInt64(h * 31 + c * 7 + o))
            let x = (0..<(c * n * h * w)).map { _ in Float(rng.symmetric()) }
            let dz = (0..<(o * n * h * w)).map { _ in Float(rng.symmetric()) }
            var results: [[Float]] = []
            for isa in isas {
                try KernelISA.select(isa)
                var result = [Float](repeating: 0, count: o * c * 9)
                var scratch = [Float](repeating: .nan, count: TrainingKernels.winogradWeightGradientScratch(
                    channels: c, outChannels: o, height: h, width: w))
                result.withUnsafeMutableBufferPointer { g in
                    scratch.withUnsafeMutableBufferPointer { s in
                        TrainingKernels.winogradWeightGradient(input: x, layout: .init(channelStride: n * h * w, imageStride: h * w),
                                                               channels: c, gradOutput: dz,
                                                               gradLayout: .init(channelStride: n * h * w, imageStride: h * w),
                                                               outChannels: o, imageCount: n, height: h, width: w,
                                                               into: g.baseAddress!, scratch: s.baseAddress!)
                    }
                }
                results.append(result)
            }
            XCTAssertEqual(results[0], results[1], "\(h)x\(w) C\(c) O\(o)")
        }
    }

    /// The same images give the same bits however they are passed (the chunking is fixed by the geometry).
    func testRepeatsBitForBit() {
        let (h, w, c, o, n) = (14, 14, 16, 16, 7)
        var rng = TestRNG(77)
        let x = (0..<(c * n * h * w)).map { _ in Float(rng.symmetric()) }
        let dz = (0..<(o * n * h * w)).map { _ in Float(rng.symmetric()) }
        func run() -> [Float] {
            var result = [Float](repeating: 0, count: o * c * 9)
            var scratch = [Float](repeating: .nan, count: TrainingKernels.winogradWeightGradientScratch(
                channels: c, outChannels: o, height: h, width: w))
            result.withUnsafeMutableBufferPointer { g in
                scratch.withUnsafeMutableBufferPointer { s in
                    TrainingKernels.winogradWeightGradient(input: x, layout: .init(channelStride: n * h * w, imageStride: h * w),
                                                           channels: c, gradOutput: dz,
                                                           gradLayout: .init(channelStride: n * h * w, imageStride: h * w),
                                                           outChannels: o, imageCount: n, height: h, width: w,
                                                           into: g.baseAddress!, scratch: s.baseAddress!)
                }
            }
            return result
        }
        XCTAssertEqual(run(), run())
    }

    /// A training network on `winograd` puts every stride-1 weight gradient on this path, and the whole
    /// step's gradients match float64 finite differences of the float64 reference ResNet.
    func testWinogradTrainingGradientsMatchFiniteDifferences() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "the register kernels need AVX2 and FMA")
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.mish))
        var model = ForwardPassTests.randomModel(arch, seed: 61)
        let values = model.values.map(Double.init)
        let (images, labels) = GradientCheckNetworkTests.batch(seed: 161)
        let reference = TrainingReference(architecture: arch, layout: model.layout, height: 8, width: 8)
        let network = try TrainingNetwork(architecture: arch, batchCapacity: 4, height: 8, width: 8, threads: 2,
                                          convolution: .winograd, winogradWeightGradientTiles: .f2)
        XCTAssertEqual(network.convolution, .winograd)
        let kernels = try XCTUnwrap(network.kernels)
        for (index, layer) in network.plan.layers.enumerated() {
            XCTAssertEqual(kernels.winogradWeightGradients[index], layer.geometry.stride == 1, "layer \(index)")
        }
        let result = try network.computeGradients(model: &model, images: images.map(Float.init),
                                                  labels: labels.map(Int32.init))
        XCTAssertEqual(result.loss, reference.loss(values, images: images, labels: labels), accuracy: 1e-5)
        let analytic = network.gradients
        let indices = GradientCheck.sampledIndices(model.layout, analytic: analytic, seed: 61)
        let numeric = GradientCheck.numericGradient(at: values, indices: indices) {
            reference.loss($0, images: images, labels: labels)
        }
        GradientCheck.assertClose(indices.map { Double(analytic[$0]) }, numeric, "resnet8 mish, winograd kernels")
    }
}
