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

    /// The Swift loops' (Σ g, Σ g·z) of each plane, a third slot of −1 after each (the passes' stride of 3).
    private func swiftMoments(_ g: [Float], _ z: [Float], plane: Int, images: Int) -> [Double] {
        (0..<images).flatMap { b -> [Double] in
            let m = g.withUnsafeBufferPointer { g in
                z.withUnsafeBufferPointer { BatchNormTraining.sumAndDot(g.baseAddress! + b * plane, $0.baseAddress! + b * plane,
                                                                        count: plane) }
            }
            return [m.0, m.1, -1]
        }
    }

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
            let expectedMoments = swiftMoments(expected, z, plane: plane, images: images)
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

    /// Swish and Mish (`landscape_smooth_activation`, `_backward`) against the scalar Swift kernels, bit for bit:
    /// one float bit pattern in every 4,099 over the whole line (both signs, every magnitude, ±∞ and NaNs), the
    /// underflow edge and the sign change; a count that leaves a tail of 5 (the padded lanes).
    func testSwishAndMishMatchTheScalarKernelsOnEveryMagnitude() throws {
        try XCTSkipUnless(BatchNormTraining.vectorPasses, "no AVX2 here: the portable path is the only one")
        var x = stride(from: UInt64(0), through: UInt64(UInt32.max), by: 4099).map { Float(bitPattern: UInt32($0)) }
        x += [0, -0.0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, -87.33654, -87.3365, -87.33655, 1e-7, -1e-7,
              .infinity, -.infinity, .nan, 20, -20, 88.8, -88.8]
        x += (0..<(13 - x.count % 8)).map { Float($0) - 6 }   // ends in a tail of 5
        XCTAssertEqual(x.count % 8, 5)
        let upstream = x.indices.map { Float($0 % 7) - 3.5 }
        for (activation, kind) in [(Activation(.swish), LANDSCAPE_SMOOTH_SWISH), (Activation(.mish), LANDSCAPE_SMOOTH_MISH)] {
            var forward = [Float](repeating: 0, count: x.count), backward = forward
            landscape_smooth_activation(x, &forward, x.count, Int32(kind))
            landscape_smooth_activation_backward(x, upstream, &backward, x.count, Int32(kind))
            var differing = 0
            for i in x.indices {
                let f = activation.value(x[i]), d = upstream[i] * activation.derivative(x[i])
                if !(forward[i].bitPattern == f.bitPattern || (forward[i].isNaN && f.isNaN)) { differing += 1 }
                if !(backward[i].bitPattern == d.bitPattern || (backward[i].isNaN && d.isNaN)) { differing += 1 }
            }
            XCTAssertEqual(differing, 0, "\(activation): \(differing) of \(2 * x.count) values differ from the scalar kernels")
        }
    }

    /// The Swish/Mish forward pass: y = BN(z) (+ residual) as `BatchNormTraining.normalize` stores it, a = f(y)
    /// as the scalar kernels give it; and the backward pass from y with each plane's moments as the Swift loops.
    func testNormalizeSmoothAndBackwardMomentsMatchSwift() throws {
        try XCTSkipUnless(BatchNormTraining.vectorPasses, "no AVX2 here: the portable path is the only one")
        let plane = 49, images = 5, count = plane * images   // 245: a tail of 5
        let z = values(count, seed: 8), residual = values(count, seed: 9), upstream = values(count, seed: 10)
        let affine = BatchNormTraining.Affine(ChannelStatistics(mean: [0.125], variance: [2], invStd: [0.7], sampleCount: 1),
                                              gamma: [Float(1.3)], beta: [Float(-0.2)], channel: 0)
        for (activation, kind) in [(Activation(.swish), LANDSCAPE_SMOOTH_SWISH), (Activation(.mish), LANDSCAPE_SMOOTH_MISH)] {
            for adding in [false, true] {
                var expectedY = [Float](repeating: 0, count: count)
                z.withUnsafeBufferPointer { z in
                    residual.withUnsafeBufferPointer { r in
                        expectedY.withUnsafeMutableBufferPointer { e in
                            BatchNormTraining.normalize(z.baseAddress!, count: count, affine,
                                                        adding: adding ? r.baseAddress! : nil, into: e.baseAddress!)
                        }
                    }
                }
                var y = [Float](repeating: .nan, count: count), a = y
                residual.withUnsafeBufferPointer { r in
                    landscape_normalize_smooth(z, count, affine.mean, affine.scale, affine.shift,
                                               adding ? r.baseAddress! : nil, Int32(kind), &y, &a)
                }
                XCTAssertEqual(bits(y), bits(expectedY), "\(activation) y, residual \(adding)")
                XCTAssertEqual(bits(a), bits(expectedY.map(activation.value)), "\(activation) a, residual \(adding)")
            }
            let y = values(count, seed: 11)
            let expected = zip(upstream, y).map { $0 * activation.derivative($1) }
            let expectedMoments = swiftMoments(expected, z, plane: plane, images: images)
            var result = upstream
            var moments = [Double](repeating: -1, count: 3 * images)
            landscape_smooth_backward_moments(&result, y, z, plane, images, Int32(kind), &moments, 3)
            XCTAssertEqual(bits(result), bits(expected), "\(activation) backward")
            XCTAssertEqual(moments.map(\.bitPattern), expectedMoments.map(\.bitPattern), "\(activation) moments")
        }
    }
}
