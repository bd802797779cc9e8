#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float32 activations: the forward pass and backprop of the network.
/// The element-wise `value(_: Float)` and the buffer loops share the same
/// kernels, so a buffer result equals the element-wise result bit for bit.
extension Activation {
    public func value(_ x: Float) -> Float {
        switch kind {
        case .relu: return FloatKernels.relu(x)
        case .leakyRelu: return FloatKernels.leakyRelu(x)
        case .swish: return FloatKernels.swish(x)
        case .mish: return FloatKernels.mish(x)
        case .gelu: return FloatKernels.gelu(x)
        case .elu: return FloatKernels.elu(x)
        case .softplus: return FloatKernels.softplus(x)
        case .tanh: return FloatKernels.tanhValue(x)
        case .nish: return FloatKernels.nish(x, t: parameter)
        }
    }

    public func derivative(_ x: Float) -> Float {
        switch kind {
        case .relu: return FloatKernels.reluDerivative(x)
        case .leakyRelu: return FloatKernels.leakyReluDerivative(x)
        case .swish: return FloatKernels.swishDerivative(x)
        case .mish: return FloatKernels.mishDerivative(x)
        case .gelu: return FloatKernels.geluDerivative(x)
        case .elu: return FloatKernels.eluDerivative(x)
        case .softplus: return FloatKernels.softplusDerivative(x)
        case .tanh: return FloatKernels.tanhDerivative(x)
        case .nish: return FloatKernels.nishDerivative(x, t: parameter)
        }
    }
}

/// Scalar Float kernels, small enough to inline into the buffer loops.
/// ReLU, LeakyReLU, Swish and Mish (the activations of the ResNets) are pure
/// Float arithmetic with a branch-free exp, so the loops auto-vectorize; the
/// rest round their Double forms (correctly rounded to within an ulp, slower).
enum FloatKernels {
    /// ln(FLT_MIN): below it eˣ is subnormal; `expNonPositive` returns 0 there.
    static let expUnderflow: Float = -87.336_54

    /// eˣ for x ≤ 0 (callers pass −|x|), within ~2 ulp; 0 below `expUnderflow`.
    /// Cody–Waite reduction x = k·ln2 + r, |r| ≤ ln2/2, Cephes' expf polynomial
    /// for eʳ, and 2ᵏ built in the exponent bits. No libm call and no branch,
    /// so loops around it vectorize.
    @inline(__always) static func expNonPositive(_ x: Float) -> Float {
        let xc = x < expUnderflow ? expUnderflow : x
        // Adding 1.5·2²³ rounds x·log2(e) to the nearest integer k, which
        // then sits in the low mantissa bits of `shifted`.
        let roundingShift: Float = 12_582_912
        let shifted = xc * 1.442_695_04 + roundingShift
        let k = shifted - roundingShift
        let r = (xc - k * 0.693_359_375) - k * -2.121_944_4e-4
        var p: Float = 1.987_569_15e-4
        p = p * r + 1.398_199_95e-3
        p = p * r + 8.333_451_9e-3
        p = p * r + 4.166_579_6e-2
        p = p * r + 1.666_666_5e-1
        p = p * r + 5.000_000_1e-1
        let expR = p * (r * r) + r + 1
        // k ∈ [−126, 0], so k + 127 is a valid biased exponent.
        let biased = (shifted.bitPattern &- 0x4B40_0000) &+ 127
        let twoToK = Float(bitPattern: biased &<< 23)
        let result = expR * twoToK
        return x < expUnderflow ? 0 : result
    }

    // MARK: ReLU and LeakyReLU (f'(0) is the left derivative, as in PyTorch)

    @inline(__always) static func relu(_ x: Float) -> Float { x < 0 ? 0 : x }
    @inline(__always) static func reluDerivative(_ x: Float) -> Float { x > 0 ? 1 : 0 }

    static let leakySlope = Float(ActivationMath.leakySlope)
    @inline(__always) static func leakyRelu(_ x: Float) -> Float { x < 0 ? leakySlope * x : x }
    @inline(__always) static func leakyReluDerivative(_ x: Float) -> Float { x > 0 ? 1 : leakySlope }

    // MARK: Swish: σ(x) = 1/(1 + m) for x ≥ 0, m/(1 + m) for x < 0, with m = e^−|x|

    @inline(__always) static func swish(_ x: Float) -> Float {
        let m = expNonPositive(-abs(x))
        let numerator: Float = x >= 0 ? 1 : m
        return x * (numerator / (1 + m))
    }

    /// f' = σ + f·(1 − σ); every term is bounded, so huge |x| cannot overflow.
    @inline(__always) static func swishDerivative(_ x: Float) -> Float {
        let m = expNonPositive(-abs(x))
        let inverse = 1 / (1 + m)
        let sigmoid = (x >= 0 ? 1 : m) * inverse
        let oneMinusSigmoid = (x >= 0 ? m : 1) * inverse
        return sigmoid + (x * sigmoid) * oneMinusSigmoid
    }

    // MARK: Mish, with the m = e^−|x| forms of `ActivationMath.MishTerms`

    @inline(__always) static func mish(_ x: Float) -> Float {
        let m = expNonPositive(-abs(x))
        let m2 = m * m
        let numerator = x >= 0 ? 1 + 2 * m : m2 + 2 * m
        let denominator = x >= 0 ? 1 + 2 * m + 2 * m2 : m2 + 2 * m + 2
        return x * (numerator / denominator)
    }

    /// f' = T + x·Δ (see `ActivationMath.MishTerms`); Δ → 0 as fast as e^−2x
    /// for large x, so x·Δ stays finite.
    @inline(__always) static func mishDerivative(_ x: Float) -> Float {
        let m = expNonPositive(-abs(x))
        let m2 = m * m
        let positive = x >= 0
        let tNumerator = positive ? 1 + 2 * m : m2 + 2 * m
        let denominator = positive ? 1 + 2 * m + 2 * m2 : m2 + 2 * m + 2
        let deltaNumerator = 4 * (positive ? m2 : m) * (1 + m)
        let inverse = 1 / denominator
        return tNumerator * inverse + x * (deltaNumerator * inverse * inverse)
    }

    // MARK: The others, rounded from Double

    @inline(__always) static func gelu(_ x: Float) -> Float {
        let d = Double(x)
        return Float(d * ActivationMath.normalCDF(d))
    }

    @inline(__always) static func geluDerivative(_ x: Float) -> Float {
        let d = Double(x)
        return Float(ActivationMath.normalCDF(d) + d * ActivationMath.normalPDF(d))
    }

    @inline(__always) static func elu(_ x: Float) -> Float { x > 0 ? x : Float(expm1(Double(x))) }
    @inline(__always) static func eluDerivative(_ x: Float) -> Float { x > 0 ? 1 : Float(exp(Double(x))) }

    @inline(__always) static func softplus(_ x: Float) -> Float { Float(ActivationMath.softplus(Double(x))) }
    @inline(__always) static func softplusDerivative(_ x: Float) -> Float {
        Double(x) > ActivationMath.softplusThreshold ? 1 : Float(ActivationMath.sigmoid(Double(x)))
    }

    @inline(__always) static func tanhValue(_ x: Float) -> Float { Float(tanh(Double(x))) }
    @inline(__always) static func tanhDerivative(_ x: Float) -> Float { Float(ActivationMath.sech2(Double(x))) }

    @inline(__always) static func nish(_ x: Float, t: Double) -> Float {
        x < 0 ? Float(ActivationMath.nishValue(Double(x), t: t)) : x
    }

    @inline(__always) static func nishDerivative(_ x: Float, t: Double) -> Float {
        x < 0 ? Float(ActivationMath.nishDerivative(Double(x), t: t)) : 1
    }
}
