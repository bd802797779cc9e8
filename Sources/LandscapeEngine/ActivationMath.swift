#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float64 activations with analytic first and second derivatives, written
/// in forms that stay finite for every finite x: exponentials only ever see
/// −|x| (or −x² / 2), and products that could overflow are formed as
/// (bounded factor) × x.
extension Activation {
    public func value(_ x: Double) -> Double {
        switch kind {
        case .relu: return x < 0 ? 0 : x
        case .leakyRelu: return x < 0 ? ActivationMath.leakySlope * x : x
        case .swish: return x * ActivationMath.sigmoid(x)
        case .mish: return x * ActivationMath.MishTerms(x).tanhSoftplus
        case .gelu: return x * ActivationMath.normalCDF(x)
        case .elu: return x > 0 ? x : expm1(x)
        case .softplus: return ActivationMath.softplus(x)
        case .tanh: return tanh(x)
        case .nish: return ActivationMath.nishValue(x, t: parameter)
        }
    }

    public func derivative(_ x: Double) -> Double {
        switch kind {
        case .relu: return x > 0 ? 1 : 0
        case .leakyRelu: return x > 0 ? 1 : ActivationMath.leakySlope
        case .swish:
            // f' = σ + x·σ·(1 − σ) = σ + f·(1 − σ)
            let s = ActivationMath.sigmoid(x)
            return s + (x * s) * ActivationMath.sigmoid(-x)
        case .mish:
            // f' = T + x·Δ with T = tanh(softplus x), Δ = T' = σ(x)·sech²(softplus x)
            let m = ActivationMath.MishTerms(x)
            return m.tanhSoftplus + x * m.delta
        case .gelu:
            // f' = Φ(x) + x·φ(x)
            return ActivationMath.normalCDF(x) + x * ActivationMath.normalPDF(x)
        case .elu: return x > 0 ? 1 : exp(x)
        case .softplus: return x > ActivationMath.softplusThreshold ? 1 : ActivationMath.sigmoid(x)
        case .tanh: return ActivationMath.sech2(x)
        case .nish: return ActivationMath.nishDerivative(x, t: parameter)
        }
    }

    public func secondDerivative(_ x: Double) -> Double {
        switch kind {
        case .relu, .leakyRelu: return 0
        case .swish:
            // f'' = σ(1 − σ)·(2 + x(1 − 2σ)), formed as 2p + (x·p)(1 − 2σ), p = σ(1 − σ)
            let s = ActivationMath.sigmoid(x)
            let p = s * ActivationMath.sigmoid(-x)
            return 2 * p + (x * p) * (1 - 2 * s)
        case .mish:
            // f'' = 2Δ + x·Δ' with Δ' = Δ·((1 − σ) − 2·T·σ)
            // (from Δ = σ·sech²(sp): σ' = σ(1 − σ), (sech² sp)' = −2·sech²(sp)·T·σ).
            let m = ActivationMath.MishTerms(x)
            return 2 * m.delta + (x * m.delta) * (m.oneMinusSigmoid - 2 * m.tanhSoftplus * m.sigmoid)
        case .gelu:
            // f'' = φ(x)·(2 − x²); φ underflows to 0 long before x² could overflow.
            guard abs(x) < ActivationMath.gaussianTailCutoff else { return 0 }
            return ActivationMath.normalPDF(x) * (2 - x * x)
        case .elu: return x > 0 ? 0 : exp(x)
        case .softplus:
            return x > ActivationMath.softplusThreshold ? 0 : ActivationMath.sigmoid(x) * ActivationMath.sigmoid(-x)
        case .tanh: return -2 * tanh(x) * ActivationMath.sech2(x)
        case .nish: return ActivationMath.nishSecondDerivative(x, t: parameter)
        }
    }
}

enum ActivationMath {
    /// PyTorch's LeakyReLU default `negative_slope`.
    static let leakySlope = 0.01
    /// PyTorch's Softplus default `threshold`: above it softplus returns x.
    static let softplusThreshold = 20.0
    /// Beyond |x| = 40, φ(x) = e^(−x²/2)/√(2π) < 1e−348 underflows to 0 in Double.
    static let gaussianTailCutoff = 40.0

    /// σ(x) = 1/(1 + e^−x), via e^−|x| so nothing overflows.
    @inline(__always) static func sigmoid(_ x: Double) -> Double {
        let m = exp(-abs(x))
        return x >= 0 ? 1 / (1 + m) : m / (1 + m)
    }

    /// log(1 + eˣ) = max(x, 0) + log1p(e^−|x|), and x itself above the threshold.
    @inline(__always) static func softplus(_ x: Double) -> Double {
        if x > softplusThreshold { return x }
        return max(x, 0) + log1p(exp(-abs(x)))
    }

    /// sech²(x) = 1 − tanh²(x) = 4m/(1 + m)² with m = e^(−2|x|): no cancellation near |x| large.
    @inline(__always) static func sech2(_ x: Double) -> Double {
        let m = exp(-2 * abs(x))
        return 4 * m / ((1 + m) * (1 + m))
    }

    /// Φ(x) = erfc(−x/√2)/2: erfc keeps full relative accuracy in the left tail.
    @inline(__always) static func normalCDF(_ x: Double) -> Double {
        0.5 * erfc(-x * 0.70710678118654752440)
    }

    /// φ(x) = e^(−x²/2)/√(2π).
    @inline(__always) static func normalPDF(_ x: Double) -> Double {
        0.39894228040143267794 * exp(-0.5 * x * x)
    }

    /// The pieces of Mish and its derivatives, from m = e^−|x| ∈ (0, 1].
    /// With n = eˣ, tanh(log(1 + n)) = (n² + 2n)/(n² + 2n + 2), which is
    ///   x < 0 (n = m):       T = m(m + 2)/E,      E = m² + 2m + 2
    ///   x ≥ 0 (n = 1/m):     T = (1 + 2m)/D,      D = 1 + 2m + 2m²
    /// and Δ = dT/dx = σ(x)·sech²(softplus x) = 4n(n + 1)/(n² + 2n + 2)², which is
    ///   x < 0:  Δ = 4m(1 + m)/E²,   x ≥ 0:  Δ = 4m²(1 + m)/D².
    struct MishTerms {
        let tanhSoftplus: Double
        let delta: Double
        let sigmoid: Double
        let oneMinusSigmoid: Double

        @inline(__always) init(_ x: Double) {
            let m = exp(-abs(x))
            if x >= 0 {
                let d = 1 + 2 * m + 2 * m * m
                tanhSoftplus = (1 + 2 * m) / d
                delta = 4 * m * m * (1 + m) / (d * d)
                sigmoid = 1 / (1 + m)
                oneMinusSigmoid = m / (1 + m)
            } else {
                let e = m * m + 2 * m + 2
                tanhSoftplus = m * (m + 2) / e
                delta = 4 * m * (1 + m) / (e * e)
                sigmoid = m / (1 + m)
                oneMinusSigmoid = 1 / (1 + m)
            }
        }
    }

    // Nish-t for x < 0, with e = e^(x/t) ∈ (0, 1). Factoring out (e − 1) = expm1(x/t)
    // removes the cancellation near x = 0⁻:
    //   f   = t·e·(−2.5 + 4e − 1.5e²)     = t·e·(2.5 − 1.5e)·(e − 1)
    //   f'  =   e·(−2.5 + 8e − 4.5e²)
    //   f'' = (e/t)·(−2.5 + 16e − 13.5e²) = −(e/t)·(13.5e − 2.5)·(e − 1)

    @inline(__always) static func nishValue(_ x: Double, t: Double) -> Double {
        guard x < 0 else { return x }
        let u = x / t
        let e = exp(u)
        return t * e * (2.5 - 1.5 * e) * expm1(u)
    }

    @inline(__always) static func nishDerivative(_ x: Double, t: Double) -> Double {
        guard x < 0 else { return 1 }
        let e = exp(x / t)
        return e * (-2.5 + 8 * e - 4.5 * e * e)
    }

    @inline(__always) static func nishSecondDerivative(_ x: Double, t: Double) -> Double {
        guard x < 0 else { return 0 }
        let u = x / t
        let e = exp(u)
        return -(e / t) * (13.5 * e - 2.5) * expm1(u)
    }
}
