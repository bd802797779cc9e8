/// What every chunk of one Hessian-vector product reads and nobody writes:
/// the parameters θ and the direction v (both aligned with
/// `ResNetModel.values`), the flipped filters of both for the stride-1 input
/// gradients, and per layer the eval-mode BatchNorm folded into constants.
///
/// Eval-mode BatchNorm is a per-channel affine map of the convolution output z:
///   y = (z − μ)·s + β,  s = γ/√(σ² + ε)   (μ, σ² the running statistics, fixed)
/// so along v (γ → γ + t·vγ, β → β + t·vβ) its R-derivative is
///   R(y) = (z − μ)·vγ/√(σ² + ε) + s·R(z) + vβ.
struct HessianContext: @unchecked Sendable {
    /// Per channel of one layer, in float32 (folded from float64).
    struct BatchNormConstants {
        var mean: [Float]
        /// 1/√(σ² + ε)
        var invStd: [Float]
        /// s = γ·invStd
        var scale: [Float]
        var shift: [Float]
        /// vγ·invStd
        var rScale: [Float]
        /// vβ
        var rShift: [Float]
    }

    let values: UnsafePointer<Float>
    let vector: UnsafePointer<Float>
    let flippedValues: UnsafePointer<Float>
    let flippedVector: UnsafePointer<Float>
    let batchNorm: [BatchNormConstants]
    /// 1/N for the mean loss over all N images of the product (not of the chunk).
    let lossScale: Double

    /// One layer's filters packed for the register kernels (`HessianKernelFilters`): W and V for its
    /// convolutions, and where the layer has an input, their input-gradient filters.
    struct LayerFilters {
        let w: [Float], v: [Float]
        let wInput: [Float]?, vInput: [Float]?
    }
    /// Per layer where the uncached product runs on the register kernels (`HessianKernels.swift`); empty
    /// where it runs on im2col + GEMM.
    var kernels: [LayerFilters] = []
    var usesKernels: Bool { !kernels.isEmpty }

    static func batchNormConstants(_ plan: TrainingPlan, values: UnsafePointer<Float>,
                                   vector: UnsafePointer<Float>) -> [BatchNormConstants] {
        plan.layers.map { layer in
            var constants = BatchNormConstants(mean: [], invStd: [], scale: [], shift: [], rScale: [], rShift: [])
            for c in 0..<layer.channels {
                let invStd = 1 / (Double(values[layer.runningVariance + c])
                                  + Double(ResNetArchitecture.batchNormEpsilon)).squareRoot()
                constants.mean.append(values[layer.runningMean + c])
                constants.invStd.append(Float(invStd))
                constants.scale.append(Float(Double(values[layer.gamma + c]) * invStd))
                constants.shift.append(values[layer.beta + c])
                constants.rScale.append(Float(Double(vector[layer.gamma + c]) * invStd))
                constants.rShift.append(vector[layer.beta + c])
            }
            return constants
        }
    }
}
