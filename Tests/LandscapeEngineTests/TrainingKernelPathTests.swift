import XCTest
@testable import LandscapeEngine
import LandscapeCore

/// Training on the register kernels (`TrainingKernels`: forward convolutions and stride-1 input
/// gradients by the direct or Winograd kernels) against the im2col + GEMM path, against float64
/// finite differences, and for independence of the thread count.
final class TrainingKernelPathTests: XCTestCase {
    /// One step's gradients may differ from the GEMM path's by float32 rounding only: per trainable
    /// tensor, max |new − old| ≤ this × max |old| (the bound for the new path).
    static let relativeTolerance = 1e-5

    func testWinogradStepMatchesTheGEMMPathOnEvenImages() throws {
        try compareWithGEMMPath(.winograd, activation: .relu, height: 8, width: 8, channels: 3, batch: 6, seed: 1)
    }

    func testDirectStepMatchesTheGEMMPathOnEvenImages() throws {
        try compareWithGEMMPath(.direct, activation: .swish, height: 8, width: 8, channels: 3, batch: 6, seed: 2)
    }

    /// Odd sizes (7 → 4 → 2 at the strided layers) and one input channel (Fashion-MNIST's stem).
    func testKernelPathsMatchTheGEMMPathOnOddOneChannelImages() throws {
        for algorithm in [ConvolutionAlgorithm.winograd, .direct] {
            try compareWithGEMMPath(algorithm, activation: .mish, height: 7, width: 7, channels: 1, batch: 5, seed: 3)
        }
    }

    /// 20×20 images: the GEMM path unfolds stage 1 in bands of rows; wider planes than the kernels' blocks.
    func testWinogradStepMatchesTheGEMMPathOnLargerImages() throws {
        try compareWithGEMMPath(.winograd, activation: .relu, height: 20, width: 20, channels: 1, batch: 3, seed: 4)
    }

    /// F(4×4) forward and input gradients (weight gradients by F(2×2)): even, odd one-channel and
    /// Fashion-MNIST-sized planes (28 → 14 → 7).
    func testWinograd4StepMatchesTheGEMMPath() throws {
        try compareWithGEMMPath(.winograd4, activation: .relu, height: 8, width: 8, channels: 3, batch: 6, seed: 5)
        try compareWithGEMMPath(.winograd4, activation: .mish, height: 7, width: 7, channels: 1, batch: 5, seed: 6)
        try compareWithGEMMPath(.winograd4, activation: .swish, height: 28, width: 28, channels: 1, batch: 3, seed: 7)
        // Odd planes at both strided layers (9 → 5 → 3) and three channels.
        try compareWithGEMMPath(.winograd4, activation: .relu, height: 9, width: 9, channels: 3, batch: 4, seed: 8)
    }

    /// oneDNN (evaluation only) has no gradient kernels: a network built with it
    /// (BatchNorm re-estimation takes a surface's setting) runs and names a training algorithm instead,
    /// and only the three training algorithms pass through unchanged.
    func testEvaluationOnlyAlgorithmsTrainOnATrainingAlgorithm() throws {
        let arch = try ResNetArchitecture(depth: 8)
        // What each request must train on, written out: the training kernels as asked, oneDNN on the
        // preferred training kernel (Winograd F(4×4)); without AVX2 everything on im2col.
        let registers = DirectConvolution.isAvailable
        let expected: [ConvolutionAlgorithm: ConvolutionAlgorithm] = [
            .im2col: .im2col, .direct: registers ? .direct : .im2col, .winograd: registers ? .winograd : .im2col,
            .winograd4: registers ? .winograd4 : .im2col, .onednn: registers ? .winograd4 : .im2col,
        ]
        for requested in ConvolutionAlgorithm.allCases {
            let network = try TrainingNetwork(architecture: arch, batchCapacity: 2, height: 8, width: 8, threads: 1,
                                              convolution: requested)
            XCTAssertTrue(TrainingNetwork.trainingAlgorithms.contains(network.convolution), "\(requested) → \(network.convolution)")
            if let wanted = expected[requested] {
                XCTAssertEqual(network.convolution, wanted, "\(requested)")
            } else {
                // auto: whatever this CPU's measured plan prefers, as long as training can run it (above).
                XCTAssertEqual(requested, .auto)
            }
        }
    }

    /// 8×8 images make one image group per phase; 32×32 ones several (2 images each on the 16-channel layers,
    /// `TrainingNetwork.imagesPerGroup`), handed to whichever of 2 or 3 threads comes free: the same bits as 1.
    func testKernelPathsDoNotDependOnTheThreadCount() throws {
        for algorithm in [ConvolutionAlgorithm.winograd, .winograd4, .direct] {
            for size in [8, 32] {
                let arch = try ResNetArchitecture(depth: 8, activation: Activation(.swish))
                let (images, labels) = Self.batch(count: 7, channels: 3, height: size, width: size, seed: 10)
                // A 16-channel phase's group (its input and output planes) at 32×32 holds fewer than the 7 images.
                XCTAssertEqual(TrainingNetwork.imagesPerGroup(floatsPerImage: 2 * 16 * size * size) < 7, size == 32)
                var results: [[Float]] = []
                for threads in [1, 2, 3] {
                    var model = ForwardPassTests.randomModel(arch, seed: 11)
                    let network = try TrainingNetwork(architecture: arch, batchCapacity: 7, height: size, width: size,
                                                      threads: threads, convolution: algorithm)
                    var sgd = try SGD(learningRate: 0.05, momentum: 0.9, weightDecay: 5e-4)
                    for _ in 0..<3 { _ = try network.trainStep(model: &model, optimizer: &sgd, images: images, labels: labels) }
                    results.append(network.gradients + model.values)
                }
                XCTAssertEqual(results[0], results[1], "\(algorithm), \(size)x\(size), 2 threads against 1")
                XCTAssertEqual(results[0], results[2], "\(algorithm), \(size)x\(size), 3 threads against 1")
            }
        }
    }

    func testDirectKernelPathGradientsMatchFiniteDifferences() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "the register kernels need AVX2 and FMA")
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.swish))
        var model = ForwardPassTests.randomModel(arch, seed: 51)
        let values = model.values.map(Double.init)
        let (images, labels) = GradientCheckNetworkTests.batch(seed: 151)
        let reference = TrainingReference(architecture: arch, layout: model.layout, height: 8, width: 8)
        let network = try TrainingNetwork(architecture: arch, batchCapacity: 4, height: 8, width: 8, threads: 2,
                                          convolution: .direct)
        XCTAssertEqual(network.convolution, .direct)
        let result = try network.computeGradients(model: &model, images: images.map(Float.init),
                                                  labels: labels.map(Int32.init))
        XCTAssertEqual(result.loss, reference.loss(values, images: images, labels: labels), accuracy: 1e-5)
        let analytic = network.gradients
        let indices = GradientCheck.sampledIndices(model.layout, analytic: analytic, seed: 51)
        let numeric = GradientCheck.numericGradient(at: values, indices: indices) {
            reference.loss($0, images: images, labels: labels)
        }
        GradientCheck.assertClose(indices.map { Double(analytic[$0]) }, numeric, "resnet8 swish, direct kernels")
    }

    /// The weight-gradient kernel against float64 from the definition: shapes the ResNets meet and odd
    /// ones, image counts across its chunks, one input channel; it adds onto what dW holds.
    func testWeightGradientKernelMatchesFloat64() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "the register kernels need AVX2 and FMA")
        for (h, w, c, o, n) in [(5, 7, 3, 4, 9), (28, 28, 1, 16, 5), (14, 14, 32, 32, 6), (7, 7, 64, 64, 9), (1, 1, 2, 2, 3), (2, 9, 5, 6, 4)] {
            var rng = TestRNG(UInt64(h * 1000 + w * 10 + c))
            let plane = h * w
            let x = (0..<(c * n * plane)).map { _ in Float(rng.symmetric()) }
            let dz = (0..<(o * n * plane)).map { _ in Float(rng.symmetric()) }
            let start = (0..<(o * c * 9)).map { _ in Float(rng.symmetric()) }
            var got = start
            var scratch = [Float](repeating: .nan, count: TrainingKernels.weightGradientScratch(channels: c, outChannels: o,
                                                                                               height: h, width: w))
            got.withUnsafeMutableBufferPointer { g in
                scratch.withUnsafeMutableBufferPointer { s in
                    TrainingKernels.weightGradient(input: x, layout: .init(channelStride: n * plane, imageStride: plane), channels: c,
                                                   gradOutput: dz, gradLayout: .init(channelStride: n * plane, imageStride: plane),
                                                   outChannels: o, imageCount: n, height: h, width: w,
                                                   into: g.baseAddress!, scratch: s.baseAddress!)
                }
            }
            var worst = 0.0
            for oo in 0..<o { for cc in 0..<c { for dy in 0..<3 { for dx in 0..<3 {
                var sum = 0.0, magnitude = 0.0
                for b in 0..<n { for y in 0..<h { for xx in 0..<w {
                    let iy = y + dy - 1, ix = xx + dx - 1
                    guard iy >= 0 && iy < h && ix >= 0 && ix < w else { continue }
                    let term = Double(dz[(oo * n + b) * plane + y * w + xx]) * Double(x[(cc * n + b) * plane + iy * w + ix])
                    sum += term
                    magnitude += abs(term)
                } } }
                let index = (oo * c + cc) * 9 + dy * 3 + dx
                let error = abs(Double(got[index]) - (Double(start[index]) + sum))
                worst = max(worst, error / max(magnitude, 1))
                XCTAssertLessThanOrEqual(error, 1e-5 * max(magnitude, 1), "\(h)x\(w) C\(c) O\(o) n\(n): dW[\(oo)][\(cc)][\(dy)][\(dx)]")
            } } } }
            print(String(format: "weight gradient %dx%d C%d O%d n%d: worst error / sum|terms| %.2e", h, w, c, o, n, worst))
        }
    }

    func testTheProfileTimesEveryConvolutionPhase() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.relu))
        var model = ForwardPassTests.randomModel(arch, seed: 21)
        let (images, labels) = Self.batch(count: 4, channels: 3, height: 8, width: 8, seed: 22)
        let network = try TrainingNetwork(architecture: arch, batchCapacity: 4, height: 8, width: 8, threads: 2)
        let profile = TrainingProfile(shards: network.shardCount)
        network.profile = profile
        var sgd = try SGD(learningRate: 0.05)
        for _ in 0..<2 { _ = try network.trainStep(model: &model, optimizer: &sgd, images: images, labels: labels) }
        XCTAssertEqual(profile.steps, 2)
        // The strided layers' gradients run on the stride-2 kernels (timed as weight gradients and backward
        // data), the stride-1 weight gradients by Winograd (the default) under their own names; im2col copies
        // only where a layer is still on GEMM.
        var phases: [TrainingProfile.Phase] = [.forwardConvolution, .backwardWeights, .backwardData,
                                               .batchNormBackward, .optimizer]
        if network.convolution.isWinograd && TrainingKernels.winogradWeightGradientDefault {
            phases += [.winogradWeightTransforms, .winogradWeightProducts]
        }
        if let kernels = network.kernels, network.plan.layers.indices.contains(where: { kernels.weightGradientPath($0) == .gemm }) {
            phases.append(.unfold)
        }
        for phase in phases {
            XCTAssertGreaterThan(profile.seconds(phase), 0, phase.name)
        }
        XCTAssertTrue(profile.table.contains("backward-data convolutions"))
        XCTAssertTrue(profile.table.contains("Winograd weight-gradient transforms"))
        // Two threads: the phase's wall time outlasts each thread's work at least by the worker's start.
        XCTAssertEqual(network.threadCount, 2)
        XCTAssertGreaterThan(profile.seconds(.shardJoins), 0)
        XCTAssertTrue(profile.table.contains("waiting at shard joins"))
    }

    /// Which code computes each layer's gradients, written out for a ResNet-8: the stem (no input gradient),
    /// block 1 (two stride-1 convolutions), blocks 2 and 3 (a stride-2 convolution, then a stride-1 one).
    func testEachLayerTakesTheExpectedGradientPath() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "the register kernels need AVX2 and FMA")
        typealias Path = TrainingKernels.GradientPath
        let strided: (Path, Path) = TrainingKernels.stridedBackwardDefault ? (.stride2, .stride2) : (.gemm, .gemm)
        let winogradWeights: Path = TrainingKernels.winogradWeightGradientDefault ? .winograd : .gemm
        func table(_ input: Path, _ weights: Path, stem: Path) -> [(Path, Path)] {
            [(.none, stem), (input, weights), (input, weights), strided, (input, weights), strided, (input, weights)]
        }
        let expected: [ConvolutionAlgorithm: [(Path, Path)]] = [
            .winograd4: table(.winograd, winogradWeights, stem: winogradWeights),
            .winograd: table(.winograd, winogradWeights, stem: winogradWeights),
            .direct: table(.direct, .gemm, stem: .gemm),
        ]
        for (algorithm, paths) in expected {
            for channels in [1, 3] {
                let arch = try ResNetArchitecture(depth: 8, inputChannels: channels)
                let network = try TrainingNetwork(architecture: arch, batchCapacity: 2, height: 8, width: 8, threads: 1,
                                                  convolution: algorithm)
                let kernels = try XCTUnwrap(network.kernels)
                XCTAssertEqual(network.plan.layers.count, paths.count)
                for (index, layer) in network.plan.layers.enumerated() {
                    let label = "\(algorithm), \(channels) channels, layer \(index) (stride \(layer.geometry.stride))"
                    XCTAssertEqual(kernels.inputGradientPath(index, layer), paths[index].0, "input gradient: " + label)
                    XCTAssertEqual(kernels.weightGradientPath(index), paths[index].1, "weight gradient: " + label)
                }
            }
        }
    }

    /// The stride-2 kernels against float64 from the definition, on each ISA this CPU runs (the same bits on
    /// both): odd and even planes, the ResNet-20 shapes (28×28 C16 O32, 14×14 C32 O64), channel counts not a
    /// multiple of 8; both add onto what dX and dW hold.
    func testStride2KernelsMatchFloat64OnEveryISA() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "the register kernels need AVX2 and FMA")
        defer { try? KernelISA.select(KernelISA.best) }
        let isas = [KernelISA.avx2, .avx512].filter(\.isSupported)
        for (h, w, c, o, n) in [(7, 7, 4, 8, 3), (8, 8, 16, 32, 5), (28, 28, 16, 32, 3), (14, 14, 32, 64, 4),
                                (5, 9, 12, 4, 2), (1, 1, 4, 4, 2), (2, 3, 8, 12, 7), (9, 6, 20, 8, 3)] {
            let g = ConvolutionGeometry(inChannels: c, outChannels: o, stride: 2, inHeight: h, inWidth: w)
            var rng = TestRNG(UInt64(h * 1000 + w * 10 + c))
            let x = (0..<(c * n * g.inPlane)).map { _ in Float(rng.symmetric()) }
            let dz = (0..<(o * n * g.outPlane)).map { _ in Float(rng.symmetric()) }
            let weight = (0..<g.weightCount).map { _ in Float(rng.symmetric()) }
            let dxStart = (0..<x.count).map { _ in Float(rng.symmetric()) }
            let dwStart = (0..<g.weightCount).map { _ in Float(rng.symmetric()) }
            // float64 from the definition, with the sum of |terms| per entry for the tolerance.
            var dx = dxStart.map(Double.init), dxMagnitude = [Double](repeating: 0, count: x.count)
            var dw = dwStart.map(Double.init), dwMagnitude = [Double](repeating: 0, count: g.weightCount)
            for oo in 0..<o { for cc in 0..<c { for tap in 0..<9 { for b in 0..<n {
                for y in 0..<g.outHeight { for xx in 0..<g.outWidth {
                    let r = 2 * y + tap / 3 - 1, s = 2 * xx + tap % 3 - 1
                    guard r >= 0 && r < h && s >= 0 && s < w else { continue }
                    let gradient = Double(dz[(oo * n + b) * g.outPlane + y * g.outWidth + xx])
                    let i = (cc * n + b) * g.inPlane + r * w + s, k = (oo * c + cc) * 9 + tap
                    dx[i] += Double(weight[k]) * gradient
                    dxMagnitude[i] += abs(Double(weight[k]) * gradient)
                    dw[k] += gradient * Double(x[i])
                    dwMagnitude[k] += abs(gradient * Double(x[i]))
                } }
            } } } }
            var results: [[Float]] = []
            for isa in isas {
                try KernelISA.select(isa)
                var gotX = dxStart, gotW = dwStart
                var packed = [Float](repeating: .nan, count: TrainingKernels.stride2PackedCount(g))
                var scratch = [Float](repeating: .nan, count: TrainingKernels.stride2Scratch(g))
                let inputLayout = ConvolutionKernels.PlaneLayout(channelStride: n * g.inPlane, imageStride: g.inPlane)
                let gradLayout = ConvolutionKernels.PlaneLayout(channelStride: n * g.outPlane, imageStride: g.outPlane)
                packed.withUnsafeMutableBufferPointer { p in
                    scratch.withUnsafeMutableBufferPointer { s in
                        TrainingKernels.stride2Pack(g, weight: weight, into: p.baseAddress!)
                        gotX.withUnsafeMutableBufferPointer { d in
                            TrainingKernels.stride2InputGradient(g, gradOutput: dz, gradLayout: gradLayout, packed: p.baseAddress!,
                                                                 imageCount: n, into: d.baseAddress!, layout: inputLayout,
                                                                 scratch: s.baseAddress!)
                        }
                        s.update(repeating: .nan)
                        gotW.withUnsafeMutableBufferPointer { d in
                            TrainingKernels.stride2WeightGradient(g, input: x, layout: inputLayout, gradOutput: dz,
                                                                  gradLayout: gradLayout, imageCount: n, into: d.baseAddress!,
                                                                  scratch: s.baseAddress!)
                        }
                    }
                }
                var worst = 0.0
                let label = "\(isa) \(h)x\(w) C\(c) O\(o) n\(n)"
                for (got, want, magnitude, name) in [(gotX, dx, dxMagnitude, "dX"), (gotW, dw, dwMagnitude, "dW")] {
                    for i in got.indices {
                        let error = abs(Double(got[i]) - want[i])
                        worst = max(worst, error / max(magnitude[i], 1))
                        XCTAssertLessThanOrEqual(error, 1e-5 * max(magnitude[i], 1), "\(label): \(name)[\(i)]")
                    }
                }
                print(String(format: "stride-2 kernels %@: worst error / sum|terms| %.2e", label, worst))
                results.append(gotX + gotW)
            }
            if results.count == 2 { XCTAssertEqual(results[0], results[1], "\(h)x\(w) C\(c) O\(o): AVX2 and AVX-512 bits") }
        }
    }

    // MARK: - helpers

    /// One step on each path from the same model and batch: losses, per-tensor gradients and the
    /// updated running statistics agree within float32 rounding. `tiles`: the Winograd weight gradients'
    /// (Winograd4WeightGradientTests runs both).
    func compareWithGEMMPath(_ algorithm: ConvolutionAlgorithm, activation: ActivationKind, height: Int, width: Int,
                             channels: Int, batch: Int, seed: UInt64,
                             tiles: WinogradWeightGradientTiles = .configured) throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "the register kernels need AVX2 and FMA")
        let arch = try ResNetArchitecture(depth: 8, inputChannels: channels, activation: Activation(activation))
        let (images, labels) = Self.batch(count: batch, channels: channels, height: height, width: width, seed: seed + 100)
        var oldModel = ForwardPassTests.randomModel(arch, seed: seed), newModel = oldModel
        let old = try TrainingNetwork(architecture: arch, batchCapacity: batch, height: height, width: width,
                                      threads: 2, convolution: .im2col)
        let new = try TrainingNetwork(architecture: arch, batchCapacity: batch, height: height, width: width,
                                      threads: 2, convolution: algorithm, winogradWeightGradientTiles: tiles)
        XCTAssertEqual(old.convolution, .im2col)
        XCTAssertEqual(new.convolution, algorithm)
        // The step below runs the strided layers' gradients on the stride-2 kernels (the default).
        if let kernels = new.kernels, TrainingKernels.stridedBackwardDefault {
            for (index, layer) in new.plan.layers.enumerated() where layer.geometry.stride == 2 {
                XCTAssertEqual(kernels.weightGradientPath(index), .stride2, "layer \(index)")
            }
        }
        let a = try old.computeGradients(model: &oldModel, images: images, labels: labels)
        let b = try new.computeGradients(model: &newModel, images: images, labels: labels)
        let label = "\(algorithm) (\(tiles.rawValue) weight gradients) \(activation) \(height)x\(width)x\(channels)"
        XCTAssertEqual(b.loss, a.loss, accuracy: 1e-6 * max(1, a.loss), label)
        XCTAssertEqual(b.correct, a.correct, label)
        let oldGradients = old.gradients, newGradients = new.gradients
        var worst = 0.0
        for entry in oldModel.layout.entries {
            let scale = entry.range.map { Double(abs(oldGradients[$0])) }.max() ?? 0
            let difference = entry.range.map { Double(abs(newGradients[$0] - oldGradients[$0])) }.max() ?? 0
            if entry.role.isTrainable {
                XCTAssertGreaterThan(scale, 0, "\(label): \(entry.name) has no gradient")
                worst = max(worst, difference / scale)
                XCTAssertLessThanOrEqual(difference, Self.relativeTolerance * scale, "\(label): \(entry.name)")
            } else {
                XCTAssertEqual(difference, 0, "\(label): \(entry.name) (running statistics) has a gradient")
                let values = entry.range.map { Double(oldModel.values[$0]) }
                let drift = entry.range.map { Double(abs(newModel.values[$0] - oldModel.values[$0])) }.max() ?? 0
                XCTAssertLessThanOrEqual(drift, 1e-5 * max(1, values.map(abs).max() ?? 0), "\(label): \(entry.name)")
            }
        }
        print(String(format: "%@: largest per-tensor relative gradient difference %.2e", label, worst))
    }

    static func batch(count: Int, channels: Int, height: Int, width: Int, seed: UInt64) -> (images: [Float], labels: [Int32]) {
        var rng = TestRNG(seed)
        let images = (0..<(count * channels * height * width)).map { _ in Float(rng.symmetric() * 2) }
        return (images, (0..<count).map { Int32(($0 * 3) % 10) })
    }
}
