#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Float32 second derivatives and the second-order backward step of an
/// activation, for Hessian-vector products (Pearlmutter's R-operator).
///
/// With a = f(y), the backward pass maps da to dy = f'(y)·da; its directional
/// derivative along v is R(dy) = f''(y)·R(y)·da + f'(y)·R(da). ReLU and
/// LeakyReLU have f'' = 0 (PyTorch's double backward agrees: their gradient is
/// piecewise constant). Swish and Mish use the closed forms of
/// `ActivationMath` in Float arithmetic with the branch-free exp, like their
/// first derivatives; the rest round their Double forms.
extension Activation {
    public func secondDerivative(_ x: Float) -> Float {
        switch kind {
        case .relu, .leakyRelu: return 0
        case .swish: return FloatKernels.swishDerivatives(x).second
        case .mish: return FloatKernels.mishDerivatives(x).second
        default: return Float(secondDerivative(Double(x)))
        }
    }

    /// In place over `count` values: gradient ← f'(y)·gradient and
    /// rGradient ← f''(y)·rInput·gradient + f'(y)·rGradient (both using the incoming gradient).
    /// Shapes: all four buffers hold `count` floats; `input` is y, `rInput` is R(y).
    func secondOrderBackward(input: UnsafePointer<Float>, rInput: UnsafePointer<Float>,
                             gradient: UnsafeMutablePointer<Float>, rGradient: UnsafeMutablePointer<Float>, count: Int) {
        switch kind {
        case .relu:
            for i in 0..<count {
                let d = FloatKernels.reluDerivative(input[i])
                gradient[i] *= d
                rGradient[i] *= d
            }
        case .leakyRelu:
            for i in 0..<count {
                let d = FloatKernels.leakyReluDerivative(input[i])
                gradient[i] *= d
                rGradient[i] *= d
            }
        case .swish:
            Self.chainSecondOrder(input, rInput, gradient, rGradient, count, FloatKernels.swishDerivatives)
        case .mish:
            Self.chainSecondOrder(input, rInput, gradient, rGradient, count, FloatKernels.mishDerivatives)
        default:
            let activation = self
            Self.chainSecondOrder(input, rInput, gradient, rGradient, count) { x in
                (activation.derivative(x), Float(activation.secondDerivative(Double(x))))
            }
        }
    }

    @inline(__always)
    private static func chainSecondOrder(_ y: UnsafePointer<Float>, _ ry: UnsafePointer<Float>,
                                         _ g: UnsafeMutablePointer<Float>, _ rg: UnsafeMutablePointer<Float>,
                                         _ count: Int, _ derivatives: (Float) -> (first: Float, second: Float)) {
        for i in 0..<count {
            let (d1, d2) = derivatives(y[i])
            let upstream = g[i]
            g[i] = d1 * upstream
            rg[i] = d2 * ry[i] * upstream + d1 * rg[i]
        }
    }
}

extension FloatKernels {
    /// Swish: f' = σ + (x·σ)(1 − σ), f'' = 2p + (x·p)(1 − 2σ) with p = σ(1 − σ).
    @inline(__always) static func swishDerivatives(_ x: Float) -> (first: Float, second: Float) {
        let m = expNonPositive(-abs(x))
        let inverse = 1 / (1 + m)
        let sigmoid = (x >= 0 ? 1 : m) * inverse
        let oneMinusSigmoid = (x >= 0 ? m : 1) * inverse
        let p = sigmoid * oneMinusSigmoid
        return (sigmoid + (x * sigmoid) * oneMinusSigmoid, 2 * p + (x * p) * (1 - 2 * sigmoid))
    }

    /// Mish: f' = T + x·Δ, f'' = 2Δ + (x·Δ)((1 − σ) − 2Tσ), with the m = e^−|x| forms of
    /// `ActivationMath.MishTerms` (Δ = dT/dx, T = tanh(softplus x)).
    @inline(__always) static func mishDerivatives(_ x: Float) -> (first: Float, second: Float) {
        let m = expNonPositive(-abs(x))
        let m2 = m * m
        let positive = x >= 0
        let tNumerator = positive ? 1 + 2 * m : m2 + 2 * m
        let denominator = positive ? 1 + 2 * m + 2 * m2 : m2 + 2 * m + 2
        let deltaNumerator = 4 * (positive ? m2 : m) * (1 + m)
        let inverse = 1 / denominator
        let t = tNumerator * inverse
        let delta = deltaNumerator * inverse * inverse
        let sigmoidInverse = 1 / (1 + m)
        let sigmoid = (positive ? 1 : m) * sigmoidInverse
        let oneMinusSigmoid = (positive ? m : 1) * sigmoidInverse
        let xDelta = x * delta
        return (t + xDelta, 2 * delta + xDelta * (oneMinusSigmoid - 2 * t * sigmoid))
    }
}
