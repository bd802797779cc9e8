import XCTest
@testable import LandscapeEngine
import LandscapeCore

/// Each layer's float32 backward against central finite differences of a
/// float64 forward written here from the layer's definition. Every check
/// uses the scalar L = Σ r·out with fixed random r, so dL/dout = r.
final class GradientCheckLayerTests: XCTestCase {
    func testConvolutionStride1GradientsMatchFiniteDifferences() throws {
        try checkConvolution(stride: 1, height: 5, width: 6)
    }

    func testConvolutionStride2GradientsMatchFiniteDifferencesOnOddSizes() throws {
        try checkConvolution(stride: 2, height: 7, width: 5)
    }

    /// Conv over 3 images in two shards (0..<1, 1..<3) accumulating into one weight gradient,
    /// with one image per im2col chunk, all images in one chunk and (stride 1) bands of two
    /// rows, and with the input gradient both by col2im and as a convolution with flipped filters.
    private func checkConvolution(stride: Int, height: Int, width: Int) throws {
        let g = ConvolutionGeometry(inChannels: 3, outChannels: 4, stride: stride, inHeight: height, inWidth: width)
        let batch = 3
        var rng = TestRNG(21 + UInt64(stride))
        let x = (0..<(g.inChannels * batch * g.inPlane)).map { _ in rng.symmetric() }
        let w = (0..<g.weightCount).map { _ in rng.symmetric() * 0.5 }
        let r = (0..<(g.outChannels * batch * g.outPlane)).map { _ in rng.symmetric() }
        // Float64 reference: z[o][b][oy][ox] = Σ w[o][c][ky][kx]·x[c][b][iy][ix], CNHW.
        func convolution(_ x: [Double], _ w: [Double]) -> [Double] {
            var z = [Double](repeating: 0, count: g.outChannels * batch * g.outPlane)
            for o in 0..<g.outChannels { for b in 0..<batch { for oy in 0..<g.outHeight { for ox in 0..<g.outWidth {
                var sum = 0.0
                for c in 0..<g.inChannels { for ky in 0..<3 { for kx in 0..<3 {
                    let iy = oy * stride + ky - 1, ix = ox * stride + kx - 1
                    guard iy >= 0 && iy < height && ix >= 0 && ix < width else { continue }
                    sum += w[((o * g.inChannels + c) * 3 + ky) * 3 + kx] * x[(c * batch + b) * g.inPlane + iy * width + ix]
                } } }
                z[(o * batch + b) * g.outPlane + oy * g.outWidth + ox] = sum
            } } } }
            return z
        }
        func loss(_ x: [Double], _ w: [Double]) -> Double { zip(convolution(x, w), r).reduce(0) { $0 + $1.0 * $1.1 } }
        let expectedZ = convolution(x, w)
        let numericX = GradientCheck.numericGradient(at: x) { loss($0, w) }
        let numericW = GradientCheck.numericGradient(at: w) { loss(x, $0) }

        let oneImage = max(g.reduction, 9 * g.outChannels) * g.outPlane
        var cases = [(oneImage, false), (oneImage, true), (1 << 16, false), (1 << 16, true)]
        if stride == 1 { cases.append((2 * max(g.reduction, 9 * g.outChannels) * g.outWidth, true)) }
        for (capacity, direct) in cases {
            let xf = x.map(Float.init), wf = w.map(Float.init), rf = r.map(Float.init)
            var flipped = [Float](repeating: 0, count: w.count)
            ConvolutionTraining.flipWeights(g, weight: wf, into: &flipped)
            var z = [Float](repeating: 0, count: r.count)
            var gradW = [Float](repeating: 0, count: w.count), gradX = [Float](repeating: 0, count: x.count)
            var columns = [Float](repeating: 0, count: capacity), gradColumns = columns
            let layout = ConvolutionKernels.PlaneLayout(channelStride: batch * g.inPlane, imageStride: g.inPlane)
            for shard in [0..<1, 1..<3] {
                ConvolutionTraining.forward(g, weight: wf, input: xf, inputLayout: layout, output: &z, batch: batch,
                                            images: shard, columns: &columns, columnCapacity: capacity)
                ConvolutionTraining.backward(g, weight: wf, input: xf, inputLayout: layout, gradOutput: rf, batch: batch,
                                             images: shard, gradWeight: &gradW, gradInput: &gradX, columns: &columns,
                                             gradColumns: &gradColumns, columnCapacity: capacity,
                                             flippedWeight: direct ? flipped : nil)
            }
            for i in 0..<z.count { XCTAssertEqual(Double(z[i]), expectedZ[i], accuracy: 1e-5, "forward z[\(i)]") }
            let path = "chunk \(capacity)\(direct ? ", flipped filters" : "")"
            GradientCheck.assertClose(gradX.map(Double.init), numericX, "conv s\(stride) input (\(path))")
            GradientCheck.assertClose(gradW.map(Double.init), numericW, "conv s\(stride) weight (\(path))")
        }
    }

    func testBatchNormTrainingGradientsMatchFiniteDifferences() {
        let channels = 2, batch = 3, plane = 5
        var rng = TestRNG(5)
        let z = (0..<(channels * batch * plane)).map { i in rng.symmetric() * 2 + Double(i / (batch * plane)) }
        let gamma = [0.7, 1.6], beta = [0.2, -0.4]
        let r = z.map { _ in rng.symmetric() }
        func loss(_ z: [Double], _ gamma: [Double], _ beta: [Double]) -> Double {
            let y = GradientCheck.batchNorm(z, gamma: gamma, beta: beta, channels: channels, perChannel: batch * plane)
            return zip(y, r).reduce(0) { $0 + $1.0 * $1.1 }
        }
        let numericZ = GradientCheck.numericGradient(at: z) { loss($0, gamma, beta) }
        let numericGamma = GradientCheck.numericGradient(at: gamma) { loss(z, $0, beta) }
        let numericBeta = GradientCheck.numericGradient(at: beta) { loss(z, gamma, $0) }

        let zf = z.map(Float.init), gammaF = gamma.map(Float.init)
        var partials = [Double](repeating: 0, count: 2 * batch * channels)
        for shard in [0..<2, 2..<3] {
            BatchNormTraining.accumulateMoments(zf, channels: channels, batch: batch, plane: plane, images: shard, into: &partials)
        }
        let stats = BatchNormTraining.statistics(partials: partials, channels: channels, batch: batch, plane: plane)
        var gradient = r.map(Float.init)
        for shard in [0..<2, 2..<3] {
            BatchNormTraining.accumulateGradientMoments(gradient, zf, channels: channels, batch: batch, plane: plane,
                                                        images: shard, into: &partials)
        }
        let parameters = BatchNormTraining.parameterGradients(partials: partials, stats, batch: batch)
        for shard in [0..<2, 2..<3] {
            BatchNormTraining.inputGradient(&gradient, zf, stats, gamma: gammaF, gradGamma: parameters.gamma,
                                            gradBeta: parameters.beta, batch: batch, plane: plane, images: shard)
        }
        GradientCheck.assertClose(gradient.map(Double.init), numericZ, "batchnorm input")
        GradientCheck.assertClose(parameters.gamma, numericGamma, "batchnorm gamma")
        GradientCheck.assertClose(parameters.beta, numericBeta, "batchnorm beta")
    }

    func testEveryActivationBackwardMatchesFiniteDifferences() {
        // Away from the kinks of relu/leaky_relu/elu at 0, inside softplus's smooth range.
        let x = stride(from: -4.0, through: 4.0, by: 0.173).filter { abs($0) > 0.05 }
        var rng = TestRNG(8)
        let r = x.map { _ in rng.symmetric() }
        for activation in Activation.allDefaults + [Activation(.nish, parameter: 0.5)] {
            let numeric = GradientCheck.numericGradient(at: x) { x in
                zip(x, r).reduce(0) { $0 + activation.value($1.0) * $1.1 }
            }
            let xf = x.map(Float.init), rf = r.map(Float.init)
            var gradient = [Float](repeating: 0, count: x.count)
            xf.withUnsafeBufferPointer { input in
                rf.withUnsafeBufferPointer { upstream in
                    gradient.withUnsafeMutableBufferPointer {
                        activation.backward(input: input, gradOutput: upstream, gradInput: $0)
                    }
                }
            }
            GradientCheck.assertClose(gradient.map(Double.init), numeric, "activation \(activation)")
        }
    }

    func testOptionAShortcutForwardAndBackwardMatchTheDefinition() {
        let inChannels = 2, outChannels = 4, batch = 2, height = 5, width = 7
        let outH = 3, outW = 4
        var rng = TestRNG(13)
        let x = (0..<(inChannels * batch * height * width)).map { _ in rng.symmetric() }
        let r = (0..<(outChannels * batch * outH * outW)).map { _ in rng.symmetric() }
        // y[o][b][oy][ox] = x[o − 1][b][2·oy][2·ox] for o − 1 ∈ {0, 1}, else 0.
        func shortcut(_ x: [Double]) -> [Double] {
            var y = [Double](repeating: 0, count: r.count)
            for o in 1...inChannels { for b in 0..<batch { for oy in 0..<outH { for ox in 0..<outW {
                y[((o * batch + b) * outH + oy) * outW + ox] = x[(((o - 1) * batch + b) * height + 2 * oy) * width + 2 * ox]
            } } } }
            return y
        }
        let numeric = GradientCheck.numericGradient(at: x) { zip(shortcut($0), r).reduce(0) { $0 + $1.0 * $1.1 } }
        var y = [Float](repeating: 0, count: r.count)
        var gradX = [Float](repeating: 9, count: x.count)   // must be overwritten
        for shard in [0..<1, 1..<2] {
            OptionAShortcut.forwardAdd(x.map(Float.init), inChannels: inChannels, inHeight: height, inWidth: width,
                                       into: &y, outChannels: outChannels, batch: batch, images: shard)
            OptionAShortcut.backward(r.map(Float.init), outChannels: outChannels, into: &gradX, inChannels: inChannels,
                                     inHeight: height, inWidth: width, batch: batch, images: shard)
        }
        XCTAssertEqual(y.map(Double.init), shortcut(x.map { Double(Float($0)) }))
        GradientCheck.assertClose(gradX.map(Double.init), numeric, "option-A shortcut")
    }

    func testAveragePoolGradientMatchesFiniteDifferences() {
        let channels = 3, batch = 2, plane = 6
        var rng = TestRNG(17)
        let x = (0..<(channels * batch * plane)).map { _ in rng.symmetric() }
        let r = (0..<(channels * batch)).map { _ in rng.symmetric() }
        func loss(_ x: [Double]) -> Double {
            (0..<(channels * batch)).reduce(0.0) { sum, cb in
                sum + r[cb] * x[(cb * plane)..<((cb + 1) * plane)].reduce(0, +) / Double(plane)
            }
        }
        var pooled = [Float](repeating: 0, count: channels * batch)
        var gradX = [Float](repeating: 0, count: x.count)
        for shard in [0..<1, 1..<2] {
            ClassifierHead.averagePool(x.map(Float.init), channels: channels, batch: batch, plane: plane, images: shard, into: &pooled)
            ClassifierHead.averagePoolBackward(r.map(Float.init), channels: channels, batch: batch, plane: plane,
                                               images: shard, into: &gradX)
        }
        XCTAssertEqual(zip(pooled, r).reduce(0.0) { $0 + Double($1.0) * $1.1 }, loss(x), accuracy: 1e-6)
        GradientCheck.assertClose(gradX.map(Double.init), GradientCheck.numericGradient(at: x, loss), "average pool")
    }

    func testLinearGradientsMatchFiniteDifferences() {
        let channels = 4, batch = 3, classes = 5
        var rng = TestRNG(19)
        let pooled = (0..<(channels * batch)).map { _ in rng.symmetric() }
        let weight = (0..<(classes * channels)).map { _ in rng.symmetric() }
        let bias = (0..<classes).map { _ in rng.symmetric() }
        let r = (0..<(batch * classes)).map { _ in rng.symmetric() }
        // logits[b][j] = bias[j] + Σ_c W[j][c]·pooled[c][b]
        func loss(_ pooled: [Double], _ weight: [Double], _ bias: [Double]) -> Double {
            var sum = 0.0
            for b in 0..<batch { for j in 0..<classes {
                let logit = bias[j] + (0..<channels).reduce(0.0) { $0 + weight[j * channels + $1] * pooled[$1 * batch + b] }
                sum += r[b * classes + j] * logit
            } }
            return sum
        }
        var gradWeight = [Float](repeating: 0, count: weight.count), gradBias = [Float](repeating: 0, count: classes)
        var gradPooled = [Float](repeating: 0, count: pooled.count), logits = [Float](repeating: 0, count: r.count)
        ClassifierHead.linear(pooled.map(Float.init), channels: channels, batch: batch, weight: weight.map(Float.init),
                              bias: bias.map(Float.init), classes: classes, into: &logits)
        XCTAssertEqual(zip(logits, r).reduce(0.0) { $0 + Double($1.0) * $1.1 }, loss(pooled, weight, bias), accuracy: 1e-5)
        ClassifierHead.linearBackward(r.map(Float.init), pooled: pooled.map(Float.init), channels: channels, batch: batch,
                                      weight: weight.map(Float.init), classes: classes, gradWeight: &gradWeight,
                                      gradBias: &gradBias, gradPooled: &gradPooled)
        GradientCheck.assertClose(gradWeight.map(Double.init),
                                  GradientCheck.numericGradient(at: weight) { loss(pooled, $0, bias) }, "linear weight")
        GradientCheck.assertClose(gradBias.map(Double.init),
                                  GradientCheck.numericGradient(at: bias) { loss(pooled, weight, $0) }, "linear bias")
        GradientCheck.assertClose(gradPooled.map(Double.init),
                                  GradientCheck.numericGradient(at: pooled) { loss($0, weight, bias) }, "linear input")
    }

    func testSoftmaxCrossEntropyValueAndGradientMatchFloat64() {
        let batch = 3, classes = 4
        var rng = TestRNG(23)
        let logits = (0..<(batch * classes)).map { _ in rng.symmetric() * 3 }
        let labels: [Int32] = [2, 0, 3]
        let expected = GradientCheck.crossEntropy(logits, labels: labels.map(Int.init), classes: classes)
        var gradient = [Float](repeating: 0, count: logits.count)
        let result = ClassifierHead.softmaxCrossEntropy(logits.map(Float.init), labels: labels, batch: batch,
                                                        classes: classes, gradLogits: &gradient)
        XCTAssertEqual(result.loss, expected, accuracy: 1e-6)
        let numeric = GradientCheck.numericGradient(at: logits) {
            GradientCheck.crossEntropy($0, labels: labels.map(Int.init), classes: classes)
        }
        GradientCheck.assertClose(gradient.map(Double.init), numeric, "softmax cross-entropy")
        // Argmax by hand: count of images whose largest logit is the label.
        let correct = (0..<batch).filter { b in
            let row = Array(logits[(b * classes)..<((b + 1) * classes)])
            return row.firstIndex(of: row.max()!) == Int(labels[b])
        }.count
        XCTAssertEqual(result.correct, correct)
    }
}

/// Central finite differences in float64 and the comparison rule shared by the gradient checks.
enum GradientCheck {
    /// Compared relatively above this magnitude of the reference gradient, absolutely below it.
    static let magnitudeFloor = 1e-3
    /// float32 backprop against float64 differences: 1e-3 relative leaves room
    /// for float32 rounding through a dozen layers while catching any wrong term.
    static let relativeTolerance = 1e-3

    /// The entries a network check compares: per trainable tensor its two largest analytic entries and
    /// three seeded random ones.
    static func sampledIndices(_ layout: ParameterLayout, analytic: [Float], seed: UInt64) -> [Int] {
        var rng = TestRNG(seed)
        var indices: [Int] = []
        for entry in layout.entries where entry.role.isTrainable {
            let largest = entry.range.sorted { abs(analytic[$0]) > abs(analytic[$1]) }.prefix(2)
            let random = (0..<3).map { _ in entry.offset + Int(rng.next() % UInt64(entry.count)) }
            indices += Set(largest + random).sorted()
        }
        return indices
    }

    /// (f(x + h·eᵢ) − f(x − h·eᵢ)) / 2h for each i in `indices` (all when nil), h scaled to |xᵢ|.
    static func numericGradient(at x: [Double], indices: [Int]? = nil, _ f: ([Double]) -> Double) -> [Double] {
        (indices ?? Array(x.indices)).map { i in
            let h = 1e-6 * max(1, abs(x[i]))
            var plus = x, minus = x
            plus[i] += h
            minus[i] -= h
            return (f(plus) - f(minus)) / (2 * h)
        }
    }

    /// Every |analytic − numeric| ≤ tolerance·max(|numeric|, floor); prints the worst entry.
    static func assertClose(_ analytic: [Double], _ numeric: [Double], _ label: String,
                            tolerance: Double = relativeTolerance, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(analytic.count, numeric.count, "\(label): sizes", file: file, line: line)
        var worst = 0.0, worstAbsolute = 0.0, worstIndex = 0
        for (i, (a, n)) in zip(analytic, numeric).enumerated() {
            let error = abs(a - n) / max(abs(n), magnitudeFloor)
            if error > worst { worst = error; worstIndex = i }
            worstAbsolute = max(worstAbsolute, abs(a - n))
        }
        print("gradient check \(label): \(analytic.count) entries, max |diff| \(worstAbsolute), max relative \(worst) at \(worstIndex)")
        XCTAssertLessThanOrEqual(worst, tolerance, "\(label): entry \(worstIndex) analytic \(analytic[worstIndex]) "
                                 + "numeric \(numeric[worstIndex])", file: file, line: line)
    }

    /// BatchNorm in training mode on a CNHW tensor with `perChannel` values per channel:
    /// (z − mean)/√(biased variance + 1e-5)·γ + β.
    static func batchNorm(_ z: [Double], gamma: [Double], beta: [Double], channels: Int, perChannel: Int) -> [Double] {
        var y = z
        for c in 0..<channels {
            let values = z[(c * perChannel)..<((c + 1) * perChannel)]
            let mean = values.reduce(0, +) / Double(perChannel)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(perChannel)
            for i in (c * perChannel)..<((c + 1) * perChannel) {
                y[i] = (z[i] - mean) / (variance + 1e-5).squareRoot() * gamma[c] + beta[c]
            }
        }
        return y
    }

    /// Mean over rows of log Σ exp(z) − z[label].
    static func crossEntropy(_ logits: [Double], labels: [Int], classes: Int) -> Double {
        var total = 0.0
        for (b, label) in labels.enumerated() {
            let row = logits[(b * classes)..<((b + 1) * classes)]
            let maximum = row.max()!
            total += maximum + log(row.reduce(0) { $0 + exp($1 - maximum) }) - row[b * classes + label]
        }
        return total / Double(labels.count)
    }
}
