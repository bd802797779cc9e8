import XCTest
import CDirectConvolution
@testable import LandscapeEngine

/// TrainingPasses.c's AVX2 passes against the portable Swift loops they replace, bit for bit
/// (the training step must not change when the vector path is taken): on planes whose length is
/// not a multiple of the vector width, with ±0, negatives and a NaN among the values.
final class TrainingPassesTests: XCTestCase {
    private func values(_ count: Int, seed: UInt64) -> [Float] {
        var rng = TestRNG(seed)
        var result = (0..<count).map { _ in Float(rng.symmetric() * 3) }
        if count > 7 { result[3] = 0; result[5] = -0.0; result[7] = -1e-30 }
        return result
    }

    private func bits(_ x: [Float]) -> [UInt32] { x.map(\.bitPattern) }

    func testSumAndSquaresMatchesSwift() throws {
        try XCTSkipUnless(BatchNormTraining.vectorPasses, "no AVX2 here: the portable path is the only one")
        for count in [1, 3, 4, 49, 196, 785] {
            let x = values(count, seed: UInt64(count))
            var partials = [0.0, 0.0]   // one plane of `count` floats
            landscape_plane_sums_and_squares(x, count, 1, &partials, 2)
            let (sum, squares) = (partials[0], partials[1])
            let expected = x.withUnsafeBufferPointer { BatchNormTraining.sumAndSquares($0.baseAddress!, count: count) }
            XCTAssertEqual(sum.bitPattern, expected.0.bitPattern, "Σx, \(count) values")
            XCTAssertEqual(squares.bitPattern, expected.1.bitPattern, "Σx², \(count) values")
        }
    }

    func testPlaneSumsAndSquaresMatchSwiftPerPlane() throws {
        try XCTSkipUnless(BatchNormTraining.vectorPasses, "no AVX2 here: the portable path is the only one")
        for (plane, images) in [(49, 5), (196, 2), (784, 3), (3, 1)] {
            let x = values(plane * images, seed: UInt64(plane))
            var partials = [Double](repeating: -1, count: 3 * images)
            landscape_plane_sums_and_squares(x, plane, images, &partials, 3)
            for b in 0..<images {
                let expected = x.withUnsafeBufferPointer { BatchNormTraining.sumAndSquares($0.baseAddress! + b * plane, count: plane) }
                XCTAssertEqual(partials[3 * b].bitPattern, expected.0.bitPattern, "Σx, plane \(plane), image \(b)")
                XCTAssertEqual(partials[3 * b + 1].bitPattern, expected.1.bitPattern, "Σx², plane \(plane), image \(b)")
                XCTAssertEqual(partials[3 * b + 2], -1, "the stride's other slots stay untouched")
            }
        }
    }

    func testNormalizeRectifyMatchesNormalizeThenActivation() throws {
        try XCTSkipUnless(BatchNormTraining.vectorPasses, "no AVX2 here: the portable path is the only one")
        let count = 203
        let z = values(count, seed: 1), residual = values(count, seed: 2)
        let affine = BatchNormTraining.Affine(ChannelStatistics(mean: [0.125], variance: [2], invStd: [0.7], sampleCount: 1),
                                              gamma: [Float(1.3)], beta: [Float(-0.2)], channel: 0)
        for (activation, slope) in [(Activation(.relu), Float(0)), (Activation(.leakyRelu), FloatKernels.leakySlope)] {
            for adding in [false, true] {
                var expected = [Float](repeating: 0, count: count), result = expected
                z.withUnsafeBufferPointer { z in
                    residual.withUnsafeBufferPointer { r in
                        expected.withUnsafeMutableBufferPointer { e in
                            BatchNormTraining.normalize(z.baseAddress!, count: count, affine,
                                                        adding: adding ? r.baseAddress! : nil, into: e.baseAddress!)
                            activation.apply(e)
                        }
                        landscape_normalize_rectify(z.baseAddress!, count, affine.mean, affine.scale, affine.shift,
                                                    adding ? r.baseAddress! : nil, slope, &result)
                    }
                }
                XCTAssertEqual(bits(result), bits(expected), "\(activation), residual \(adding)")
                XCTAssertTrue(expected.contains { $0 < 0 } == (slope != 0), "the test covers the negative side")
            }
        }
    }

    func testRectifyBackwardFromOutputMatchesBackwardFromInputAndMoments() throws {
        try XCTSkipUnless(BatchNormTraining.vectorPasses, "no AVX2 here: the portable path is the only one")
        let plane = 49, images = 5, count = plane * images
        var y = values(count, seed: 3)
        y[11] = .nan
        let upstream = values(count, seed: 4), z = values(count, seed: 5)
        for (activation, slope) in [(Activation(.relu), Float(0)), (Activation(.leakyRelu), FloatKernels.leakySlope)] {
            var a = y
            a.withUnsafeMutableBufferPointer { activation.apply($0) }
            // The portable path: f' from y, then each plane's moments.
            var expected = upstream
            y.withUnsafeBufferPointer { y in
                upstream.withUnsafeBufferPointer { u in
                    expected.withUnsafeMutableBufferPointer { activation.backward(input: y, gradOutput: u, gradInput: $0) }
                }
            }
            var expectedMoments: [Double] = []
            for b in 0..<images {
                let m = expected.withUnsafeBufferPointer { g in
                    z.withUnsafeBufferPointer { BatchNormTraining.sumAndDot(g.baseAddress! + b * plane, $0.baseAddress! + b * plane,
                                                                            count: plane) }
                }
                expectedMoments += [m.0, m.1, -1]
            }
            // The vector path: f' from a, partials with a stride of 3 (the third slot must stay untouched).
            var result = upstream
            var moments = [Double](repeating: -1, count: 3 * images)
            landscape_rectify_backward_moments(&result, a, z, plane, images, slope, &moments, 3)
            XCTAssertEqual(bits(result), bits(expected), "\(activation)")
            XCTAssertEqual(moments.map(\.bitPattern), expectedMoments.map(\.bitPattern), "\(activation)")
        }
    }

    func testBatchNormInputGradientMatchesSwift() throws {
        try XCTSkipUnless(BatchNormTraining.vectorPasses, "no AVX2 here: the portable path is the only one")
        let count = 101
        let z = values(count, seed: 6), g = values(count, seed: 7)
        let (kdy, kz, mean, k0): (Float, Float, Float, Float) = (0.8, -0.03, 0.2, 1e-3)
        var expected = g
        for i in 0..<count { expected[i] = kdy * expected[i] + kz * (z[i] - mean) + k0 }
        var result = g
        landscape_batch_norm_input_gradient(&result, z, count, kdy, kz, mean, k0)
        XCTAssertEqual(bits(result), bits(expected))
    }
}
