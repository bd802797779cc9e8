import XCTest
@testable import LandscapeEngine

/// The convolution epilogue's activations (CDirectConvolution's ActivationTemplate.h: ReLU, and Swish and
/// Mish by one e^x and one division), on each ISA, against float64 (`Activation.value(Double)`, which the
/// PyTorch reference and finite-difference tests pin down): a dense grid over [-100, 100], one float bit
/// pattern in every 4,099 over the whole line (every magnitude from subnormal to FLT_MAX, both signs), the
/// edges of the kernels' cases (the clamp at 20, the underflow at ln FLT_MIN), ±0, tiny and huge values, ±∞ and NaN.
final class FusedActivationTests: XCTestCase {
    /// Swish and Mish, relative to the float64 value, wherever e^x and the result are normal floats (x > −87.3):
    /// 4 float ulp of 1 (4 × 2^−23 = 4.8e-7). Measured worst by this test (Zen 4, both ISAs, the same bits):
    /// Swish 2.7e-7 at x = −15.55, Mish 3.4e-7 at x = −14.42; over every 97th float bit pattern (a scratch
    /// harness) 2.9e-7 and 3.5e-7, where the kernels they replaced (Cephes' expf of −|x|, blends) had 2.1e-7
    /// and 2.6e-7. Since e^x's reduction takes one FMA on ln2 rounded to float (KernelTemplate.h), both 4.1e-7
    /// at x = −86.932 (k = −125, where r is off by 125 × 1.9e-9), measured on Zen 3 (AVX2).
    static let relativeBound = 4.0 * 0x1p-23
    /// Below x = −87.3 (e^x under FLT_MIN) the true values are under 1.1e-36 in magnitude; the kernels give x · 0
    /// or values this small.
    static let underflowBound = 1e-30

    override func setUpWithError() throws {
        try XCTSkipUnless(DirectConvolution.isAvailable, "this CPU has no AVX2+FMA: evaluation uses im2col")
    }

    override func tearDownWithError() throws {
        try KernelISA.select(KernelISA.best)   // what every other test expects
    }

    func testSwishAndMishMatchFloat64OnAVX2() throws { try DirectConvolutionTests.use(.avx2); checkAgainstFloat64() }
    func testSwishAndMishMatchFloat64OnAVX512() throws { try DirectConvolutionTests.use(.avx512); checkAgainstFloat64() }
    func testReLUAndSpecialValuesOnAVX2() throws { try DirectConvolutionTests.use(.avx2); checkReLUAndSpecials() }
    func testReLUAndSpecialValuesOnAVX512() throws { try DirectConvolutionTests.use(.avx512); checkReLUAndSpecials() }

    /// Finite inputs: the grid, the sampled bit patterns, the edges; a count that is not a multiple of 8 or 16
    /// (the tail path).
    static let inputs: [Float] = {
        var xs: [Float] = [0, -0, .leastNonzeroMagnitude, -.leastNonzeroMagnitude, .leastNormalMagnitude,
                           -.leastNormalMagnitude, 1e-30, -1e-30, 1e-7, -1e-7, .greatestFiniteMagnitude,
                           -.greatestFiniteMagnitude, 3e38, -3e38, 1e30, -1e30, 88.8, -88.8, 87.3, -87.3, -87.33,
                           -87.33654, -87.34, -88, -104, -150]
        for edge: Float in [20, -20, 17, 9, 44, 0.3465736, -0.3465736] {   // the clamp, rounding to 1, a reduction edge
            var below = edge, above = edge
            for _ in 0..<8 { below = below.nextDown; above = above.nextUp; xs += [below, above] }
            xs.append(edge)
        }
        for i in 0...400_000 { xs.append(Float(-100 + 200 * Double(i) / 400_000)) }   // every 0.0005 over [-100, 100]
        for bits in stride(from: UInt64(0), to: 1 << 32, by: 4_099) {
            let x = Float(bitPattern: UInt32(bits))
            if x.isFinite { xs.append(x) }
        }
        xs += [1, 2, 3]
        return xs
    }()

    private func checkAgainstFloat64() {
        for kind in [ActivationKind.swish, .mish] {
            let activation = Activation(kind)
            var got = Self.inputs
            got.withUnsafeMutableBufferPointer { DirectConvolution.activate($0, activation) }
            var worst = 0.0, worstAt: Float = 0, checked = 0
            for (x, y) in zip(Self.inputs, got) {
                let exact = activation.value(Double(x))
                if x == 0 {
                    XCTAssertEqual(y.bitPattern, x.bitPattern, "\(kind)(\(x)) = \(y): ±0 keeps its sign, on \(KernelISA.current)")
                } else if abs(exact) < Double(Float.leastNormalMagnitude) && x > -87.3 {
                    // A subnormal result (|x| < 2.4e-38): float cannot hold it to better than its spacing, 2^−149.
                    XCTAssertLessThanOrEqual(abs(Double(y) - exact), Double(Float.leastNonzeroMagnitude),
                                             "\(kind)(\(x)) = \(y), float64 \(exact), on \(KernelISA.current)")
                } else if x > -87.3 {
                    let relative = abs(Double(y) - exact) / abs(exact)
                    checked += 1
                    if !(relative <= worst) { worst = relative; worstAt = x }   // NaN counts as worst
                } else {
                    XCTAssertLessThanOrEqual(abs(y), Float(Self.underflowBound), "\(kind)(\(x)) = \(y), float64 \(exact), on \(KernelISA.current)")
                }
            }
            XCTAssertGreaterThan(checked, 1_000_000)
            XCTAssertLessThanOrEqual(worst, Self.relativeBound,
                                     "\(kind): worst relative error \(worst) at x = \(worstAt) on \(KernelISA.current)")
            print("\(kind) on \(KernelISA.current): worst relative error \(worst) at x = \(worstAt) over \(checked) inputs")
        }
    }

    /// ReLU gives the Swift kernel's bits everywhere; ±∞ and NaN go as the Swift kernels take them: ∞ → ∞,
    /// −∞ → NaN (−∞ · 0; ReLU 0), NaN → NaN.
    private func checkReLUAndSpecials() {
        let specials: [Float] = [.infinity, -.infinity, .nan, -.nan, Float(bitPattern: 0x7FA0_0001)]
        for kind in [ActivationKind.relu, .swish, .mish] {
            let activation = Activation(kind)
            // Swish and Mish: the specials only (finite values differ from the Swift kernels' in the last bits),
            // padded past a vector so that they go through the full-vector path and the tail path.
            let inputs = kind == .relu ? Self.inputs + specials : specials + specials + [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] + specials
            var got = inputs
            got.withUnsafeMutableBufferPointer { DirectConvolution.activate($0, activation) }
            var wrong = 0
            for (x, y) in zip(inputs, got) where kind == .relu || !x.isFinite {
                let expected = activation.value(x)
                if !(y.bitPattern == expected.bitPattern || (kind != .relu && y.isNaN && expected.isNaN)) {
                    wrong += 1
                    if wrong <= 5 { XCTFail("\(kind)(\(x)) = \(y), the Swift kernel gives \(expected), on \(KernelISA.current)") }
                }
            }
            XCTAssertEqual(wrong, 0, "\(kind) on \(KernelISA.current)")
        }
    }
}
