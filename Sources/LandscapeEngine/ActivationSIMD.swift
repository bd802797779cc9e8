/// Swish and Mish on 8 floats at a time, for the buffer loops (`ActivationBuffers`): the scalar
/// kernels of `FloatKernels` step by step (the same operations in the same order, no contraction), with
/// their `x >= 0 ? a : b` choices as explicit lane selects. Written out because the compiler kept the
/// scalar forms as branches on the sign of x: not vectorized, and mispredicted on every other element
/// of a real activation tensor (Swish training spent 221 of 306 thread-ms per step in the backward
/// loop, `landscape train --profile`, Zen 4, 2026-12-07). Same bits as the scalar kernels
/// (ActivationBufferTests).
enum SIMDKernels {
    typealias Lanes = SIMD8<Float>
    static let width = Lanes.scalarCount

    /// `FloatKernels.expNonPositive` on each lane (x ≤ 0).
    @inline(__always) static func expNonPositive(_ x: Lanes) -> Lanes {
        let underflow = Lanes(repeating: FloatKernels.expUnderflow)
        let below = x .< underflow
        let xc = x.replacing(with: underflow, where: below)
        let roundingShift = Lanes(repeating: 12_582_912)
        let shifted = xc * Lanes(repeating: 1.442_695_04) + roundingShift
        let k = shifted - roundingShift
        let r = (xc - k * Lanes(repeating: 0.693_359_375)) - k * Lanes(repeating: -2.121_944_4e-4)
        var p = Lanes(repeating: 1.987_569_15e-4)
        p = p * r + Lanes(repeating: 1.398_199_95e-3)
        p = p * r + Lanes(repeating: 8.333_451_9e-3)
        p = p * r + Lanes(repeating: 4.166_579_6e-2)
        p = p * r + Lanes(repeating: 1.666_666_5e-1)
        p = p * r + Lanes(repeating: 5.000_000_1e-1)
        let expR = p * (r * r) + r + Lanes(repeating: 1)
        let biased = (unsafeBitCast(shifted, to: SIMD8<UInt32>.self) &- 0x4B40_0000) &+ 127
        let twoToK = unsafeBitCast(biased &<< 23, to: Lanes.self)
        return (expR * twoToK).replacing(with: 0, where: below)
    }

    /// −|x| as the scalar kernels form it (the sign bit set; NaN stays NaN).
    @inline(__always) static func negativeMagnitude(_ x: Lanes) -> Lanes {
        unsafeBitCast(unsafeBitCast(x, to: SIMD8<UInt32>.self) | 0x8000_0000, to: Lanes.self)
    }

    @inline(__always) static func swish(_ x: Lanes) -> Lanes {
        let m = expNonPositive(negativeMagnitude(x))
        let numerator = m.replacing(with: 1, where: x .>= 0)
        return x * (numerator / (Lanes(repeating: 1) + m))
    }

    @inline(__always) static func swishDerivative(_ x: Lanes) -> Lanes {
        let m = expNonPositive(negativeMagnitude(x))
        let one = Lanes(repeating: 1)
        let inverse = one / (one + m)
        let positive = x .>= 0
        let sigmoid = m.replacing(with: 1, where: positive) * inverse
        let oneMinusSigmoid = one.replacing(with: m, where: positive) * inverse
        return sigmoid + (x * sigmoid) * oneMinusSigmoid
    }

    /// Mish's shared terms, as the scalar kernels form them: m = e^−|x|, m², the sign's lanes, the
    /// numerator of T = tanh(softplus(x)) and its denominator.
    @inline(__always) static func mishTerms(_ x: Lanes) -> (m: Lanes, m2: Lanes, positive: SIMDMask<SIMD8<Int32>>,
                                                           numerator: Lanes, denominator: Lanes) {
        let m = expNonPositive(negativeMagnitude(x))
        let m2 = m * m
        let one = Lanes(repeating: 1), two = Lanes(repeating: 2)
        let positive = x .>= 0
        let numerator = (m2 + two * m).replacing(with: one + two * m, where: positive)
        let denominator = (m2 + two * m + two).replacing(with: one + two * m + two * m2, where: positive)
        return (m, m2, positive, numerator, denominator)
    }

    @inline(__always) static func mish(_ x: Lanes) -> Lanes {
        let t = mishTerms(x)
        return x * (t.numerator / t.denominator)
    }

    @inline(__always) static func mishDerivative(_ x: Lanes) -> Lanes {
        let t = mishTerms(x)
        let one = Lanes(repeating: 1)
        let deltaNumerator = Lanes(repeating: 4) * t.m.replacing(with: t.m2, where: t.positive) * (one + t.m)
        let inverse = one / t.denominator
        return t.numerator * inverse + x * (deltaNumerator * inverse * inverse)
    }

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Lanes {
        UnsafeRawPointer(p).loadUnaligned(as: Lanes.self)
    }

    @inline(__always) static func store(_ v: Lanes, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Lanes.self)
    }
}
