import XCTest
@testable import LandscapeEngine

/// BatchNorm2d in training mode on a fixed 2x2x1x3 tensor against PyTorch's
/// formulas, evaluated here in float64:
///   μ = mean over (N, H, W), σ² = biased variance, y = (x − μ)/√(σ² + 1e-5)·γ + β,
///   running_mean ← 0.9·running_mean + 0.1·μ, running_var ← 0.9·running_var + 0.1·σ²·M/(M − 1),
///   dβ = Σ dy, dγ = Σ dy·x̂, dx = γ/√(σ² + ε)·(dy − mean(dy) − x̂·mean(dy·x̂)).
final class TrainingBatchNormTests: XCTestCase {
    // CNHW: channel 0 holds images 0 and 1 (3 values each), then channel 1.
    let x: [Float] = [1, 2, 4, -1, 0, 3,     10, 10.5, 9, 12, 11, 8.5]
    let dy: [Float] = [0.5, -1, 2, 0, 1, -0.5,   1, 1, -2, 0.25, 3, -1]
    let gamma: [Float] = [1.5, 0.5], beta: [Float] = [0.1, -2]
    let channels = 2, batch = 2, plane = 3

    /// Per channel, in float64: (μ, σ², x̂ for the channel's 6 values).
    private func reference(_ c: Int) -> (mean: Double, variance: Double, normalized: [Double]) {
        let values = x[(c * 6)..<((c + 1) * 6)].map(Double.init)
        let mean = values.reduce(0, +) / 6
        let variance = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 6
        return (mean, variance, values.map { ($0 - mean) / (variance + 1e-5).squareRoot() })
    }

    private func statistics() -> ChannelStatistics {
        var partials = [Double](repeating: 0, count: 2 * batch * channels)
        BatchNormTraining.accumulateMoments(x, channels: channels, batch: batch, plane: plane, images: 0..<2, into: &partials)
        return BatchNormTraining.statistics(partials: partials, channels: channels, batch: batch, plane: plane)
    }

    func testForwardNormalizesWithBatchMeanAndBiasedVariance() {
        let stats = statistics()
        var y = [Float](repeating: 0, count: x.count)
        BatchNormTraining.normalize(x, stats, gamma: gamma, beta: beta, channels: channels, batch: batch, plane: plane,
                                    images: 0..<2, adding: nil, into: &y)
        for c in 0..<channels {
            let expected = reference(c)
            XCTAssertEqual(stats.mean[c], expected.mean, accuracy: 1e-12)
            XCTAssertEqual(stats.variance[c], expected.variance, accuracy: 1e-12)
            for i in 0..<6 {
                XCTAssertEqual(Double(y[c * 6 + i]), expected.normalized[i] * Double(gamma[c]) + Double(beta[c]),
                               accuracy: 1e-6, "y[\(c)][\(i)]")
            }
        }
    }

    func testRunningStatisticsUseMomentumPointOneAndTheUnbiasedVariance() {
        var runningMean: [Float] = [0.5, -1], runningVariance: [Float] = [2, 0.25]
        BatchNormTraining.updateRunningStatistics(statistics(), runningMean: &runningMean, runningVariance: &runningVariance)
        for c in 0..<channels {
            let expected = reference(c)
            XCTAssertEqual(Double(runningMean[c]), 0.9 * [0.5, -1][c] + 0.1 * expected.mean, accuracy: 1e-6)
            XCTAssertEqual(Double(runningVariance[c]), 0.9 * [2, 0.25][c] + 0.1 * expected.variance * 6 / 5, accuracy: 1e-6)
        }
    }

    func testBackwardMatchesPyTorchsClosedForm() {
        let stats = statistics()
        var partials = [Double](repeating: 0, count: 2 * batch * channels)
        BatchNormTraining.accumulateGradientMoments(dy, x, channels: channels, batch: batch, plane: plane,
                                                    images: 0..<2, into: &partials)
        let parameters = BatchNormTraining.parameterGradients(partials: partials, stats, batch: batch)
        var gradient = dy
        BatchNormTraining.inputGradient(&gradient, x, stats, gamma: gamma, gradGamma: parameters.gamma,
                                        gradBeta: parameters.beta, batch: batch, plane: plane, images: 0..<2)
        for c in 0..<channels {
            let expected = reference(c)
            let upstream = dy[(c * 6)..<((c + 1) * 6)].map(Double.init)
            let gradBeta = upstream.reduce(0, +)
            let gradGamma = zip(upstream, expected.normalized).reduce(0) { $0 + $1.0 * $1.1 }
            XCTAssertEqual(parameters.beta[c], gradBeta, accuracy: 1e-9)
            XCTAssertEqual(parameters.gamma[c], gradGamma, accuracy: 1e-9)
            let scale = Double(gamma[c]) / (expected.variance + 1e-5).squareRoot()
            for i in 0..<6 {
                let dx = scale * (upstream[i] - gradBeta / 6 - expected.normalized[i] * gradGamma / 6)
                XCTAssertEqual(Double(gradient[c * 6 + i]), dx, accuracy: 1e-6, "dx[\(c)][\(i)]")
            }
        }
    }
}
