import Foundation

/// A ResNet prepared for evaluation: every BatchNorm (eval mode, running
/// statistics) folded into the convolution before it, so a conv + BN + bias
/// is one GEMM plus a fused epilogue. Folding costs one pass over the
/// ~270k weights, so a landscape refolds at every grid point.
public struct InferenceNetwork: Sendable {
    public let architecture: ResNetArchitecture
    let stem: FoldedConvolution
    let blocks: [ResidualBlock]
    let linearWeight: [Float]   // [classes][channels]
    let linearBias: [Float]     // [classes]
    /// The weights in oneDNN's layouts, reordered on first use by `--convolution onednn` (empty otherwise).
    let oneDNNWeights = OneDNNWeights()
    /// The weights of a per-layer plan's oneDNN layers in their layouts, reordered on first use (empty otherwise).
    let oneDNNLayerWeights = OneDNNLayerWeights()

    struct ResidualBlock: Sendable {
        let conv1: FoldedConvolution
        let conv2: FoldedConvolution
        var downsamples: Bool { conv1.stride == 2 }
    }

    /// `plan`: pack each convolution's filters only for the kernel that plan runs it on (a per-point saving:
    /// a surface refolds at every point); nil packs for every register kernel (any evaluator can run it).
    public init(_ model: ResNetModel, for plan: ConvolutionPlan? = nil) {
        let arch = model.architecture
        var index = 0
        func folded(_ conv: String, _ bn: String, stride: Int) -> FoldedConvolution {
            defer { index += 1 }
            var packing: FoldedConvolution.Packing = [.winograd, .winograd4, .direct]
            if let plan {
                switch plan.kernel(LayerClass.of(convolution: index, in: arch), activation: arch.activation) {
                case .ours(.winograd): packing = stride == 1 ? .winograd : .direct
                case .ours(.direct): packing = .direct
                case .ours(.winograd4): packing = stride == 1 ? .winograd4 : .direct
                default: packing = []
                }
            }
            return FoldedConvolution(model: model, convolution: conv, batchNorm: bn, stride: stride, packing: packing)
        }
        architecture = arch
        stem = folded("conv1", "bn1", stride: 1)
        var blocks: [ResidualBlock] = []
        for stage in 0..<ResNetArchitecture.stageWidths.count {
            for block in 0..<arch.blocksPerStage {
                let prefix = "layer\(stage + 1).\(block)"
                let stride = stage > 0 && block == 0 ? 2 : 1
                blocks.append(ResidualBlock(conv1: folded("\(prefix).conv1", "\(prefix).bn1", stride: stride),
                                            conv2: folded("\(prefix).conv2", "\(prefix).bn2", stride: 1)))
            }
        }
        self.blocks = blocks
        linearWeight = model.tensor("linear.weight")!.scalars
        linearBias = model.tensor("linear.bias")!.scalars
    }
}

/// A 3x3 convolution (padding 1) with its BatchNorm folded in:
/// W'[o] = W[o]·s[o], b'[o] = β[o] − μ[o]·s[o], with s = γ / √(σ² + ε).
struct FoldedConvolution: Sendable {
    let outChannels: Int
    let inChannels: Int
    let stride: Int
    let weight: [Float]   // [outChannels][inChannels·9], PyTorch's OIHW flattened: the GEMM matrix
    let bias: [Float]
    /// U = G g Gᵀ for Winograd F(2×2, 3×3) in the kernel's order; empty for strided convolutions or without AVX2.
    let winogradWeight: [Float]
    /// The weights in the direct kernel's order (stride 1 or 2); empty without AVX2.
    let directWeight: [Float]
    /// U = G g Gᵀ for Winograd F(4×4, 3×3) in the kernel's order; empty for strided convolutions, without AVX2,
    /// or when the plan runs this layer on another kernel. Packed here, once per fold, so the forward pass
    /// reads it without a lock.
    let winograd4Weight: [Float]

    var reduction: Int { inChannels * 9 }

    /// Which register kernels' filter layouts to prepare.
    struct Packing: OptionSet {
        let rawValue: Int
        static let winograd = Packing(rawValue: 1)
        static let direct = Packing(rawValue: 2)
        static let winograd4 = Packing(rawValue: 4)
    }

    init(model: ResNetModel, convolution: String, batchNorm: String, stride: Int,
         packing: Packing = [.winograd, .winograd4, .direct]) {
        let w = model.tensor("\(convolution).weight")!
        let gamma = model.tensor("\(batchNorm).weight")!.scalars
        let beta = model.tensor("\(batchNorm).bias")!.scalars
        let mean = model.tensor("\(batchNorm).running_mean")!.scalars
        let variance = model.tensor("\(batchNorm).running_var")!.scalars
        outChannels = w.shape[0]
        inChannels = w.shape[1]
        self.stride = stride
        let k = w.shape[1] * 9
        var weight = w.scalars
        var bias = [Float](repeating: 0, count: outChannels)
        for o in 0..<outChannels {
            // In float64 so folding adds no rounding beyond the final float32 store.
            let scale = Double(gamma[o]) / (Double(variance[o]) + Double(ResNetArchitecture.batchNormEpsilon)).squareRoot()
            for i in (o * k)..<((o + 1) * k) { weight[i] = Float(Double(weight[i]) * scale) }
            bias[o] = Float(Double(beta[o]) - Double(mean[o]) * scale)
        }
        self.weight = weight
        self.bias = bias
        winogradWeight = stride == 1 && packing.contains(.winograd)
            ? DirectConvolution.packedWinogradFilters(weight, outChannels: outChannels, inChannels: inChannels) : []
        winograd4Weight = stride == 1 && packing.contains(.winograd4)
            ? Winograd4Convolution.packedFilters(weight, outChannels: outChannels, inChannels: inChannels) : []
        directWeight = packing.contains(.direct)
            ? DirectConvolution.packedWeights(weight, outChannels: outChannels, inChannels: inChannels) : []
    }
}
