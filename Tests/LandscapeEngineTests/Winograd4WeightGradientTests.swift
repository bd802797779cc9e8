import XCTest
@testable import LandscapeEngine
import LandscapeCore

/// The stride-1 weight gradient by Winograd F(4×4, 3×3) (`TrainingKernels.winogradWeightGradient` with
/// `tiles: .f4`, Winograd4WeightGradient.c + 36 products per tile) against the float64 sum from the
/// definition on every ISA this CPU runs, the same bits on AVX2 and AVX-512, and whole training steps
/// on it against the im2col + GEMM path and float64 finite differences.
final class Winograd4WeightGradientTests: XCTestCase {
    /// |error| ≤ this × Σ|terms| per weight, F(2×2)'s bound (WinogradWeightGradientTests). F(4×4)'s
    /// transforms scale by up to 5 (B) and 8 (A) per direction and G's 1/6 and 1/24 are inexact, so each
    /// term carries a few more roundings relative to its size: 8.0e-7 was the largest seen on these shapes
    /// (F(2×2): 2.5e-7 on its own), well inside the bound.
    static let tolerance = 1e-5

    /// dW (o·C + c)·9 + 3·dy + dx after adding the F(4×4) gradient of images 1...n of a CNHW batch of n + 2.
    private static func run(h: Int, w: Int, c: Int, o: Int, n: Int, x: [Float], dz: [Float], start: [Float]) -> [Float] {
        let plane = h * w, batch = n + 2
        var got = start
        var scratch = [Float](repeating: .nan, count: TrainingKernels.winogradWeightGradientScratch(
            channels: c, outChannels: o, height: h, width: w, tiles: .f4))
        got.withUnsafeMutableBufferPointer { g in
            scratch.withUnsafeMutableBufferPointer { s in
                x.withUnsafeBufferPointer { xs in
                    dz.withUnsafeBufferPointer { zs in
                        TrainingKernels.winogradWeightGradient(
                            input: xs.baseAddress! + plane, layout: .init(channelStride: batch * plane, imageStride: plane),
                            channels: c, gradOutput: zs.baseAddress! + plane,
                            gradLayout: .init(channelStride: batch * plane, imageStride: plane),
                            outChannels: o, imageCount: n, height: h, width: w,
                            into: g.baseAddress!, scratch: s.baseAddress!, tiles: .f4)
                    }
                }
            }
        }
        return got
    }

    private static func inputs(h: Int, w: Int, c: Int, o: Int, n: Int) -> (x: [Float], dz: [Float], start: [Float]) {
        var rng = TestRNG(UInt64(h * 100_000 + w * 1000 + c * 10 + o + 4))
        let plane = h * w, batch = n + 2
        let x = (0..<(c * batch * plane)).map { _ in Float(rng.symmetric()) }
        let dz = (0..<(o * batch * plane)).map { _ in Float(rng.symmetric()) }
        let start = (0..<(o * c * 9)).map { _ in Float(rng.symmetric()) }
        return (x, dz, start)
    }

    /// The planes a ResNet-20 meets on Fashion-MNIST (28/14/7) and CIFAR-10 (32/16/8), ragged ones (9×13,
    /// 5×9, 2×3, 1×1: tiles past the edge), 1 to 64 channels (the products' outer-product form with 16 to 64
    /// in eights, its dot-product form below 16 or otherwise), image counts that span several chunks and
    /// leave a partial one; added onto what dW holds; strided CNHW layouts like the training network's.
    /// On each ISA the CPU supports.
    func testMatchesFloat64OnEveryPlaneShape() throws {
        let shapes: [(h: Int, w: Int, c: Int, o: Int, n: Int)] = [
            (28, 28, 1, 16, 9), (28, 28, 16, 16, 3), (14, 14, 32, 32, 3), (7, 7, 64, 64, 5), (8, 8, 16, 8, 3),
            (9, 13, 5, 7, 4), (32, 32, 3, 16, 2), (16, 16, 32, 32, 2), (5, 9, 4, 8, 4), (1, 1, 2, 2, 3),
            (2, 3, 16, 4, 2), (3, 2, 1, 16, 70), (6, 10, 24, 5, 3),
        ]
        let isas = [KernelISA.avx2, .avx512].filter(\.isSupported)
        defer { try? KernelISA.select(KernelISA.best) }
        for isa in isas.isEmpty ? [nil] : isas.map(Optional.some) {
            if let isa { try KernelISA.select(isa) }
            for (h, w, c, o, n) in shapes {
                let (x, dz, start) = Self.inputs(h: h, w: w, c: c, o: o, n: n)
                let got = Self.run(h: h, w: w, c: c, o: o, n: n, x: x, dz: dz, start: start)
                let worst = WeightGradientReference.check(got, start: start, x: x, dz: dz, h: h, w: w, c: c, o: o, n: n,
                                                          tolerance: Self.tolerance, label: isa.map { "\($0)" } ?? "portable")
                print(String(format: "winograd4 weight gradient %@ %dx%d C%d O%d n%d: worst error / Σ|terms| %.2e",
                             isa.map { "\($0)" } ?? "portable", h, w, c, o, n, worst))
            }
        }
    }

    /// The transforms only add, subtract and scale by 2 and 4, and the products sum every (o, c) in the
    /// same order on AVX2 and AVX-512 (input channels in eights: one outer-product code for both; else dot
    /// products in 4×3 and 4×6 blocks): the same bits, on shapes whose channel counts leave every kind of
    /// remainder block (24 input channels: a block of 8 after one of 16; 5 outputs: a block of 5).
    func testTheSameBitsOnEveryISA() throws {
        let isas = [KernelISA.avx2, .avx512].filter(\.isSupported)
        try XCTSkipIf(isas.count < 2, "this CPU runs one of AVX2 / AVX-512 only (\(CPUFeatures.current.summary))")
        defer { try? KernelISA.select(KernelISA.best) }
        for (h, w, c, o, n) in [(14, 14, 16, 16, 3), (7, 7, 64, 64, 2), (5, 9, 7, 10, 3), (28, 28, 1, 16, 4), (4, 4, 13, 3, 2), (6, 10, 24, 5, 3)] {
            let (x, dz, start) = Self.inputs(h: h, w: w, c: c, o: o, n: n)
            var results: [[Float]] = []
            for isa in isas {
                try KernelISA.select(isa)
                results.append(Self.run(h: h, w: w, c: c, o: o, n: n, x: x, dz: dz, start: start))
            }
            XCTAssertEqual(results[0], results[1], "\(h)x\(w) C\(c) O\(o)")
        }
    }

    /// The finish G^T dU G (vectorized over 8 pairs on AVX-512, 4 on AVX2, pair by pair past the last
    /// whole group) against the same float64 operations written out here: each sum from 0, its six
    /// products rounded one by one in order, the float rounded once. The same bits, on pair counts that
    /// leave every remainder (1, 3, 35, 63, 4096 pairs), on each ISA the CPU supports.
    func testFinishGivesTheBitsOfItsFloat64Operations() throws {
        let g: [[Double]] = [
            [1.0 / 4, 0, 0], [-1.0 / 6, -1.0 / 6, -1.0 / 6], [-1.0 / 6, 1.0 / 6, -1.0 / 6],
            [1.0 / 24, 1.0 / 12, 1.0 / 6], [1.0 / 24, -1.0 / 12, 1.0 / 6], [0, 0, 1],
        ]
        let isas = [KernelISA.avx2, .avx512].filter(\.isSupported)
        defer { try? KernelISA.select(KernelISA.best) }
        for (o, c) in [(1, 1), (1, 3), (7, 5), (9, 7), (64, 64)] {
            var rng = TestRNG(UInt64(o * 100 + c))
            let pairs = o * c
            let du = (0..<(36 * pairs)).map { _ in Float(rng.symmetric() * 50) }
            let start = (0..<(9 * pairs)).map { _ in Float(rng.symmetric()) }
            var expected = start
            for p in 0..<pairs {
                var w = [[Double]](repeating: [Double](repeating: 0, count: 6), count: 3)
                for r in 0..<3 { for j in 0..<6 {
                    var sum = 0.0
                    for i in 0..<6 { sum += g[i][r] * Double(du[(6 * i + j) * pairs + p]) }
                    w[r][j] = sum
                } }
                for r in 0..<3 { for q in 0..<3 {
                    var sum = 0.0
                    for j in 0..<6 { sum += w[r][j] * g[j][q] }
                    expected[p * 9 + 3 * r + q] = Float(Double(expected[p * 9 + 3 * r + q]) + sum)
                } }
            }
            for isa in isas.isEmpty ? [nil] : isas.map(Optional.some) {
                if let isa { try KernelISA.select(isa) }
                var got = start
                du.withUnsafeBufferPointer { d in
                    got.withUnsafeMutableBufferPointer { w in
                        WinogradWeightGradientTiles.f4.finish(d.baseAddress!, outChannels: o, channels: c, into: w.baseAddress!)
                    }
                }
                let differing = zip(got, expected).filter { $0.bitPattern != $1.bitPattern }.count
                XCTAssertEqual(differing, 0, "\(isa.map { "\($0)" } ?? "portable") O\(o) C\(c): \(differing) of \(9 * pairs) weights differ")
            }
        }
    }

    /// A network asked for F(4×4) weight gradients runs every stride-1 layer's on them, and the whole
    /// step's gradients match float64 finite differences of the float64 reference ResNet.
    func testTrainingGradientsMatchFiniteDifferences() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "the register kernels need AVX2 and FMA")
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.mish))
        var model = ForwardPassTests.randomModel(arch, seed: 62)
        let values = model.values.map(Double.init)
        let (images, labels) = GradientCheckNetworkTests.batch(seed: 162)
        let reference = TrainingReference(architecture: arch, layout: model.layout, height: 8, width: 8)
        let network = try TrainingNetwork(architecture: arch, batchCapacity: 4, height: 8, width: 8, threads: 2,
                                          convolution: .winograd4, winogradWeightGradientTiles: .f4)
        let kernels = try XCTUnwrap(network.kernels)
        XCTAssertEqual(kernels.winogradWeightGradientTiles, .f4)
        if TrainingKernels.winogradWeightGradientDefault {
            for (index, layer) in network.plan.layers.enumerated() {
                XCTAssertEqual(kernels.winogradWeightGradients[index], layer.geometry.stride == 1, "layer \(index)")
            }
        }
        let result = try network.computeGradients(model: &model, images: images.map(Float.init),
                                                  labels: labels.map(Int32.init))
        XCTAssertEqual(result.loss, reference.loss(values, images: images, labels: labels), accuracy: 1e-5)
        let analytic = network.gradients
        let indices = GradientCheck.sampledIndices(model.layout, analytic: analytic, seed: 62)
        let numeric = GradientCheck.numericGradient(at: values, indices: indices) {
            reference.loss($0, images: images, labels: labels)
        }
        GradientCheck.assertClose(indices.map { Double(analytic[$0]) }, numeric, "resnet8 mish, F(4x4) weight gradients")
    }
}

extension TrainingKernelPathTests {
    /// One step with the weight gradients by F(4×4) and by F(2×2), each against the im2col + GEMM path
    /// within `relativeTolerance` (the same 1e-5 of the largest gradient per tensor: F(4×4) needs no
    /// looser bound), on the forward/input-gradient algorithms and planes training meets.
    func testBothWinogradWeightGradientTilesMatchTheGEMMPath() throws {
        for tiles in WinogradWeightGradientTiles.allCases {
            try compareWithGEMMPath(.winograd4, activation: .relu, height: 8, width: 8, channels: 3, batch: 6, seed: 31,
                                    tiles: tiles)
            try compareWithGEMMPath(.winograd, activation: .mish, height: 7, width: 7, channels: 1, batch: 5, seed: 32,
                                    tiles: tiles)
            try compareWithGEMMPath(.winograd4, activation: .swish, height: 28, width: 28, channels: 1, batch: 3, seed: 33,
                                    tiles: tiles)
            try compareWithGEMMPath(.winograd, activation: .relu, height: 9, width: 13, channels: 3, batch: 4, seed: 34,
                                    tiles: tiles)
        }
    }
}
