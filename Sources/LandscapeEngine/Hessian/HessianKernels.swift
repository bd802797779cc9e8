import CDirectConvolution

/// The register-kernel calls of both chunk workers (where the CPU runs AVX2 + FMA): each convolution-sized
/// product of a Hessian-vector product is one call of the kernels the forward engine and training use —
///   convolution        Winograd F(4×4) at stride 1, the direct stride-2 kernel at 2
///   input gradient     F(4×4) with the flipped, transposed filters at stride 1, the stride-2
///                      input-gradient kernel (phase filters) at 2
///   weight gradient    training's Winograd weight gradient (`WinogradWeightGradientTiles.configured`)
///                      at stride 1, the stride-2 weight-gradient kernel at 2
/// Every call adds onto its output, so R-quantities that are sums (R(z) = V ∗ in + W ∗ R(in)) are calls
/// in a row. Filters are packed once per product (`HessianKernelFilters`).
extension HessianChunkWorker {
    /// Floats of `kernelScratch` and `gradientScratch` for `plan`'s layers. Input gradients may run over
    /// the cached path's 2·O-channel pair [R(dz); dz].
    static func kernelScratchFloats(_ plan: TrainingPlan) -> (convolution: Int, gradient: Int) {
        var convolution = 0, gradient = 0
        for layer in plan.layers {
            let g = layer.geometry
            if g.stride == 1 {
                convolution = max(convolution,
                                  Winograd4Convolution.scratchFloats(channels: g.inChannels, outChannels: g.outChannels,
                                                                     height: g.inHeight, width: g.inWidth),
                                  Winograd4Convolution.scratchFloats(channels: 2 * g.outChannels, outChannels: g.inChannels,
                                                                     height: g.outHeight, width: g.outWidth))
                gradient = max(gradient, TrainingKernels.winogradWeightGradientScratch(
                    channels: g.inChannels, outChannels: g.outChannels, height: g.outHeight, width: g.outWidth,
                    tiles: .configured))
            } else {
                convolution = max(convolution, DirectConvolution.stride2ScratchFloats(channels: g.inChannels,
                                                                                      height: g.inHeight, width: g.inWidth))
                gradient = max(gradient, TrainingKernels.stride2Scratch(g),
                               TrainingKernels.stride2Scratch(pairGeometry(g, gradChannels: 2 * g.outChannels)))
            }
        }
        return (convolution, gradient)
    }

    /// `g` with `gradChannels` output channels: the geometry of an input gradient over that many gradient
    /// channels (the pair [R(dz); dz] has 2·O) as the stride-2 kernels take it.
    static func pairGeometry(_ g: ConvolutionGeometry, gradChannels: Int) -> ConvolutionGeometry {
        ConvolutionGeometry(inChannels: g.inChannels, outChannels: gradChannels, stride: g.stride,
                            inHeight: g.inHeight, inWidth: g.inWidth)
    }

    /// output += g's convolution of the chunk's `n` images of `input` with `filters`
    /// (`HessianKernelFilters.forward`); output is O channels of n·Ho·Wo floats.
    func convolve(_ g: ConvolutionGeometry, input: UnsafePointer<Float>, layout: ConvolutionKernels.PlaneLayout,
                  filters: [Float], output: UnsafeMutablePointer<Float>, n: Int) {
        filters.withUnsafeBufferPointer { packed in
            if g.stride == 1 {
                Winograd4Convolution.convolve(input: input, layout: layout, channels: g.inChannels, imageCount: n,
                                              height: g.inHeight, width: g.inWidth, packedFilters: packed.baseAddress!,
                                              outChannels: g.outChannels, output: output, rowStride: n * g.outPlane,
                                              scratch: kernelScratch)
            } else {
                DirectConvolution.convolve(stride: g.stride, input: input, layout: layout, channels: g.inChannels,
                                           imageCount: n, height: g.inHeight, width: g.inWidth,
                                           packedWeight: packed.baseAddress!, outChannels: g.outChannels,
                                           output: output, rowStride: n * g.outPlane, scratch: kernelScratch)
            }
        }
    }

    /// gradWeight += gradOutput ⋆ input over the chunk's `n` images (gradOutput: O channels of n·Ho·Wo floats).
    func kernelWeightGradient(_ g: ConvolutionGeometry, input: UnsafePointer<Float>, layout: ConvolutionKernels.PlaneLayout,
                              gradOutput: UnsafePointer<Float>, n: Int, into gradWeight: UnsafeMutablePointer<Float>) {
        let gradLayout = ConvolutionKernels.PlaneLayout(channelStride: n * g.outPlane, imageStride: g.outPlane)
        if g.stride == 1 {
            TrainingKernels.winogradWeightGradient(input: input, layout: layout, channels: g.inChannels,
                                                   gradOutput: gradOutput, gradLayout: gradLayout,
                                                   outChannels: g.outChannels, imageCount: n, height: g.outHeight,
                                                   width: g.outWidth, into: gradWeight, scratch: gradientScratch,
                                                   tiles: .configured)
        } else {
            TrainingKernels.stride2WeightGradient(g, input: input, layout: layout, gradOutput: gradOutput,
                                                  gradLayout: gradLayout, imageCount: n, into: gradWeight,
                                                  scratch: gradientScratch)
        }
    }

    /// gradInput (laid out as `layout`) += the input gradient of `gradChannels` gradient channels of n·Ho·Wo
    /// floats through `filters` (`HessianKernelFilters.inputGradient` for the same channel count).
    func kernelInputGradient(_ g: ConvolutionGeometry, gradOutput: UnsafePointer<Float>, gradChannels: Int,
                             filters: [Float], n: Int, into gradInput: UnsafeMutablePointer<Float>,
                             layout: ConvolutionKernels.PlaneLayout) {
        let gradLayout = ConvolutionKernels.PlaneLayout(channelStride: n * g.outPlane, imageStride: g.outPlane)
        filters.withUnsafeBufferPointer { packed in
            if g.stride == 1 {
                Winograd4Convolution.convolve(input: gradOutput, layout: gradLayout, channels: gradChannels,
                                              imageCount: n, height: g.outHeight, width: g.outWidth,
                                              packedFilters: packed.baseAddress!, outChannels: g.inChannels,
                                              output: gradInput, rowStride: layout.channelStride, scratch: kernelScratch)
            } else {
                TrainingKernels.stride2InputGradient(Self.pairGeometry(g, gradChannels: gradChannels), gradOutput: gradOutput,
                                                     gradLayout: gradLayout, packed: packed.baseAddress!, imageCount: n,
                                                     into: gradInput, layout: layout, scratch: gradientScratch)
            }
        }
    }
}

/// Filters packed for `HessianChunkWorker`'s kernel calls.
enum HessianKernelFilters {
    /// W[O][C][3][3] for `convolve`: F(4×4) filters at stride 1, the direct kernel's order at 2.
    static func forward(_ g: ConvolutionGeometry, weights: UnsafePointer<Float>) -> [Float] {
        let bank = Array(UnsafeBufferPointer(start: weights, count: g.weightCount))
        return g.stride == 1
            ? Winograd4Convolution.packedFilters(bank, outChannels: g.outChannels, inChannels: g.inChannels)
            : DirectConvolution.packedWeights(bank, outChannels: g.outChannels, inChannels: g.inChannels)
    }

    /// Input-gradient filters over `gradChannels` gradient channels for `kernelInputGradient`: at stride 1
    /// from `flipped`, the flipped transposed filters [C][gradChannels][3][3] (`ConvolutionTraining.flipWeights`,
    /// side by side for a pair); at stride 2 from `weights`, [gradChannels][C][3][3] as they are.
    static func inputGradient(_ g: ConvolutionGeometry, gradChannels: Int, flipped: UnsafePointer<Float>,
                              weights: UnsafePointer<Float>) -> [Float] {
        if g.stride == 1 {
            let bank = Array(UnsafeBufferPointer(start: flipped, count: g.inChannels * gradChannels * 9))
            return Winograd4Convolution.packedFilters(bank, outChannels: g.inChannels, inChannels: gradChannels)
        }
        let geometry = HessianChunkWorker.pairGeometry(g, gradChannels: gradChannels)
        let count = TrainingKernels.stride2PackedCount(geometry)
        return [Float](unsafeUninitializedCapacity: count) { packed, initialized in
            TrainingKernels.stride2Pack(geometry, weight: weights, into: packed.baseAddress!)
            initialized = count
        }
    }
}
