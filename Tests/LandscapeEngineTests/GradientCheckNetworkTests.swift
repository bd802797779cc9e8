import XCTest
import LandscapeEngine
import LandscapeCore

/// The whole training step of a small ResNet (depth 8, two 3x8x8 images,
/// BatchNorm in training mode) against central finite differences of a
/// float64 ResNet written here from the definitions, NCHW and direct loops:
/// an independent path through every layer, shortcut and the loss.
final class GradientCheckNetworkTests: XCTestCase {
    func testReLUResNetGradientsMatchFiniteDifferences() throws {
        try checkNetwork(Activation(.relu), seed: 31)
    }

    func testSwishResNetGradientsMatchFiniteDifferences() throws {
        try checkNetwork(Activation(.swish), seed: 32)
    }

    func testMishResNetGradientsMatchFiniteDifferences() throws {
        try checkNetwork(Activation(.mish), seed: 33)
    }

    func testBatchNormRunningStatisticsFollowPyTorchUpdate() throws {
        let arch = try ResNetArchitecture(depth: 8, activation: Activation(.swish))
        var model = ForwardPassTests.randomModel(arch, seed: 41)
        let before = model.values.map(Double.init)
        let (images, labels) = Self.batch(seed: 42)
        let reference = TrainingReference(architecture: arch, layout: model.layout, height: 8, width: 8)
        var recorded: [String: (mean: [Double], variance: [Double], count: Int)] = [:]
        _ = reference.loss(before, images: images, labels: labels, statistics: &recorded)
        let network = try TrainingNetwork(architecture: arch, batchCapacity: 4, height: 8, width: 8, threads: 2)
        _ = try network.computeGradients(model: &model, images: images.map(Float.init), labels: labels.map(Int32.init))
        XCTAssertEqual(recorded.count, 7)
        for (name, stats) in recorded {
            let meanEntry = model.layout.entry(named: "\(name).running_mean")!
            let varianceEntry = model.layout.entry(named: "\(name).running_var")!
            let m = Double(stats.count)
            for c in 0..<stats.mean.count {
                // PyTorch: running = (1 − 0.1)·running + 0.1·batch, with the unbiased batch variance.
                let expectedMean = 0.9 * before[meanEntry.offset + c] + 0.1 * stats.mean[c]
                let expectedVariance = 0.9 * before[varianceEntry.offset + c] + 0.1 * stats.variance[c] * m / (m - 1)
                XCTAssertEqual(Double(model.values[meanEntry.offset + c]), expectedMean,
                               accuracy: 1e-5 * max(1, abs(expectedMean)), "\(name).running_mean[\(c)]")
                XCTAssertEqual(Double(model.values[varianceEntry.offset + c]), expectedVariance,
                               accuracy: 1e-5 * max(1, abs(expectedVariance)), "\(name).running_var[\(c)]")
            }
        }
        // Trainable parameters are untouched by computing gradients.
        for entry in model.layout.entries where entry.role.isTrainable {
            XCTAssertEqual(model.values[entry.range].map(Double.init), Array(before[entry.range]), entry.name)
        }
    }

    private func checkNetwork(_ activation: Activation, seed: UInt64) throws {
        let arch = try ResNetArchitecture(depth: 8, activation: activation)
        var model = ForwardPassTests.randomModel(arch, seed: seed)
        let values = model.values.map(Double.init)
        let (images, labels) = Self.batch(seed: seed + 100)
        let reference = TrainingReference(architecture: arch, layout: model.layout, height: 8, width: 8)
        let network = try TrainingNetwork(architecture: arch, batchCapacity: 4, height: 8, width: 8, threads: 2)
        let result = try network.computeGradients(model: &model, images: images.map(Float.init),
                                                  labels: labels.map(Int32.init))
        let analytic = network.gradients
        XCTAssertEqual(result.loss, reference.loss(values, images: images, labels: labels), accuracy: 1e-5)
        XCTAssertEqual(result.batchSize, 2)

        // Per trainable tensor: its two largest analytic entries and three random ones.
        let indices = GradientCheck.sampledIndices(model.layout, analytic: analytic, seed: seed)
        let numeric = GradientCheck.numericGradient(at: values, indices: indices) {
            reference.loss($0, images: images, labels: labels)
        }
        GradientCheck.assertClose(indices.map { Double(analytic[$0]) }, numeric, "resnet8 \(activation)")

        // The reported norm is the norm of the whole gradient, running-statistics entries being 0.
        let runningStatistics = model.layout.entries.filter { !$0.role.isTrainable }.flatMap { Array($0.range) }
        XCTAssertTrue(runningStatistics.allSatisfy { analytic[$0] == 0 })
        let norm = analytic.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        XCTAssertEqual(result.gradientNorm, norm, accuracy: 1e-9 * norm)
    }

    static func batch(seed: UInt64) -> (images: [Double], labels: [Int]) {
        var rng = TestRNG(seed)
        return ((0..<(2 * 3 * 8 * 8)).map { _ in Double(Float(rng.symmetric() * 2)) }, [3, 7])
    }
}

/// The CIFAR ResNet in training mode, written the slow, obvious way in
/// float64 on NCHW arrays: BatchNorm with batch statistics (biased variance),
/// option-A shortcut by index arithmetic, mean cross-entropy.
/// The CIFAR ResNet in float64, NCHW, direct loops, parameters as a flat float64 array aligned with
/// `ParameterLayout`: the independent reference of the engine's gradients (BatchNorm on batch statistics,
/// as in training) and of its Hessian-vector products (`runningStatistics`: eval mode).
struct TrainingReference {
    let architecture: ResNetArchitecture
    let layout: ParameterLayout
    let height: Int
    let width: Int
    /// Eval-mode BatchNorm (the running statistics in `values`) instead of the batch's.
    var runningStatistics = false

    struct Batch {
        var n: Int, c: Int, h: Int, w: Int
        var v: [Double]
        func index(_ b: Int, _ c: Int, _ y: Int, _ x: Int) -> Int { ((b * self.c + c) * h + y) * w + x }
    }

    func loss(_ values: [Double], images: [Double], labels: [Int]) -> Double {
        var ignored: [String: (mean: [Double], variance: [Double], count: Int)] = [:]
        return loss(values, images: images, labels: labels, statistics: &ignored)
    }

    /// Mean cross-entropy; records each BatchNorm's batch mean and biased variance by name.
    func loss(_ values: [Double], images: [Double], labels: [Int],
              statistics: inout [String: (mean: [Double], variance: [Double], count: Int)]) -> Double {
        func offset(_ name: String) -> Int { layout.entry(named: name)!.offset }
        func activate(_ x: Batch) -> Batch {
            var y = x
            y.v = x.v.map { architecture.activation.value($0) }
            return y
        }
        func conv(_ x: Batch, _ name: String, out: Int, stride: Int) -> Batch {
            let w = offset("\(name).weight")
            let oh = (x.h - 1) / stride + 1, ow = (x.w - 1) / stride + 1
            var y = Batch(n: x.n, c: out, h: oh, w: ow, v: [Double](repeating: 0, count: x.n * out * oh * ow))
            for b in 0..<x.n { for o in 0..<out { for oy in 0..<oh { for ox in 0..<ow {
                var sum = 0.0
                for c in 0..<x.c { for ky in 0..<3 { for kx in 0..<3 {
                    let iy = oy * stride + ky - 1, ix = ox * stride + kx - 1
                    guard iy >= 0 && iy < x.h && ix >= 0 && ix < x.w else { continue }
                    sum += values[w + ((o * x.c + c) * 3 + ky) * 3 + kx] * x.v[x.index(b, c, iy, ix)]
                } } }
                y.v[y.index(b, o, oy, ox)] = sum
            } } } }
            return y
        }
        func batchNorm(_ x: Batch, _ name: String) -> Batch {
            let gamma = offset("\(name).weight"), beta = offset("\(name).bias")
            let running = (mean: offset("\(name).running_mean"), variance: offset("\(name).running_var"))
            let m = Double(x.n * x.h * x.w)
            var y = x, means: [Double] = [], variances: [Double] = []
            for c in 0..<x.c {
                var sum = 0.0
                for b in 0..<x.n { for i in 0..<(x.h * x.w) { sum += x.v[x.index(b, c, 0, 0) + i] } }
                let batchMean = sum / m
                var squares = 0.0
                for b in 0..<x.n { for i in 0..<(x.h * x.w) { squares += pow(x.v[x.index(b, c, 0, 0) + i] - batchMean, 2) } }
                let mean = runningStatistics ? values[running.mean + c] : batchMean
                let variance = runningStatistics ? values[running.variance + c] : squares / m
                for b in 0..<x.n { for i in 0..<(x.h * x.w) {
                    let k = x.index(b, c, 0, 0) + i
                    y.v[k] = (x.v[k] - mean) / (variance + 1e-5).squareRoot() * values[gamma + c] + values[beta + c]
                } }
                means.append(mean)
                variances.append(variance)
            }
            statistics[name] = (means, variances, x.n * x.h * x.w)
            return y
        }

        let n = labels.count
        var x = Batch(n: n, c: architecture.inputChannels, h: height, w: width, v: images)
        x = activate(batchNorm(conv(x, "conv1", out: 16, stride: 1), "bn1"))
        for (stage, planes) in ResNetArchitecture.stageWidths.enumerated() {
            for block in 0..<architecture.blocksPerStage {
                let p = "layer\(stage + 1).\(block)", stride = stage > 0 && block == 0 ? 2 : 1
                let inner = activate(batchNorm(conv(x, "\(p).conv1", out: planes, stride: stride), "\(p).bn1"))
                var y = batchNorm(conv(inner, "\(p).conv2", out: planes, stride: 1), "\(p).bn2")
                for b in 0..<n { for c in 0..<y.c { for yy in 0..<y.h { for xx in 0..<y.w {
                    if stride == 1 {
                        y.v[y.index(b, c, yy, xx)] += x.v[x.index(b, c, yy, xx)]
                    } else if c - planes / 4 >= 0 && c - planes / 4 < x.c {
                        y.v[y.index(b, c, yy, xx)] += x.v[x.index(b, c - planes / 4, 2 * yy, 2 * xx)]
                    }
                } } } }
                x = activate(y)
            }
        }
        let weight = offset("linear.weight"), bias = offset("linear.bias"), classes = architecture.classCount
        var logits: [Double] = []
        for b in 0..<n {
            let pooled = (0..<x.c).map { c in
                (0..<(x.h * x.w)).reduce(0.0) { $0 + x.v[x.index(b, c, 0, 0) + $1] } / Double(x.h * x.w)
            }
            for j in 0..<classes {
                logits.append(values[bias + j] + (0..<x.c).reduce(0.0) { $0 + values[weight + j * x.c + $1] * pooled[$1] })
            }
        }
        return GradientCheck.crossEntropy(logits, labels: labels, classes: classes)
    }
}
