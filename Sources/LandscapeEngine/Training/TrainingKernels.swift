import Foundation
import CDirectConvolution

/// The training convolutions on CDirectConvolution's register kernels (direct, Winograd F(2×2, 3×3)),
/// through their existing entry points, instead of im2col + GEMM:
///
///   forward      Z = conv(X, W)                         every layer; stride 1 by the chosen algorithm,
///                                                        stride 2 by the direct stride-2 kernel; the
///                                                        epilogue adds a zero bias (BatchNorm in training
///                                                        mode needs Z itself before its batch statistics)
///   input grad   dX += conv(dZ, W')                     stride 1 only: the convolution of the output
///                                                        gradient with W' (`ConvolutionTraining.flipWeights`:
///                                                        filters rotated 180°, in/out channels swapped), the
///                                                        epilogue without bias adding onto dX
///   weight grad  dW += Σ_b dZ ⋆ X                       stride 1, `winograd`: by Winograd F(2×2, 3×3) or
///                                                        F(4×4) (`WinogradWeightGradientTiles`)
///                                                        (`winogradWeightGradient`: transforms in C, 16
///                                                        GEMMs over all tiles, 2.25× fewer multiplies than
///                                                        im2col's GEMM and no unfolded copy); optionally
///                                                        `convolution_weight_gradient_3x3` (WeightGradient.c)
///
///   stride 2     dX += convᵀ(dZ, W), dW += Σ_b dZ ⋆ X   `stride2_input_gradient_3x3` (phase planes of dX, each a
///                                                        stride-1 convolution of dZ with 1, 2, 2 or 4 taps on
///                                                        the forward register block) and
///                                                        `stride2_weight_gradient_3x3` (StridedBackward.h);
///                                                        `LANDSCAPE_TRAINING_STRIDED=gemm` keeps them on
///                                                        im2col + GEMM + col2im (`ConvolutionTraining.backward`)
///
/// Each image's forward and input-gradient sums are taken in
/// the same order whatever the image count (the kernels' contract), and the weight gradient takes
/// a shard's images in fixed chunks in order, so threads change nothing; the weights are packed
/// once per step, before the forward and backward passes.
final class TrainingKernels {
    /// `direct`, `winograd` or `winograd4` (the stride-1 algorithm; strided layers always run direct).
    let algorithm: ConvolutionAlgorithm
    /// Per layer: where its packed forward filters start in `packed`, nil when it runs on im2col.
    let forwardOffsets: [Int?]
    /// Per layer: where its packed input-gradient filters start, nil when its input gradient stays on GEMM.
    let backwardOffsets: [Int?]
    /// Per layer: whether its weight gradient runs on `convolution_weight_gradient_3x3` (stride 1).
    let weightGradients: [Bool]
    /// Per layer: whether its weight gradient runs by Winograd (`winogradWeightGradient`, stride 1).
    let winogradWeightGradients: [Bool]
    /// F(2×2) or F(4×4) tiles for those (Winograd4WeightGradient.swift).
    let winogradWeightGradientTiles: WinogradWeightGradientTiles
    /// Per layer: where its packed stride-2 input-gradient filters start (`stride2_input_gradient_pack`), nil
    /// when its backward pass is not on the stride-2 kernels; both its gradients run there when not nil.
    let stridedOffsets: [Int?]
    /// Per shard: `winogradWeightGradient`'s scratch (transformed tiles of a chunk, dU).
    private let winogradScratch: [UnsafeMutablePointer<Float>]
    private let packed: UnsafeMutablePointer<Float>
    /// Per shard: the kernels' scratch (one image's zero-bordered planes and sums).
    let scratch: [UnsafeMutablePointer<Float>]
    /// The epilogue's bias: zeros, so the kernels write Z = sums (+ 0) with no separate zeroing pass.
    private let zeroBias: UnsafeMutablePointer<Float>

    /// `weightGradientKernel`: stride-1 weight gradients on `convolution_weight_gradient_3x3` instead of
    /// GEMMs. Off by default: on the quiet Zen 4 of 2026-12-06 (`landscape train --train-limit 6400
    /// --epochs 1`, batch 128, 2 threads, alternating) the GEMMs trained at 619–699 img/s (4 runs)
    /// against 603–618 (3 runs) with the kernel, whose register blocking does not yet beat OpenBLAS on
    /// the 16×16 and 8×8 planes.
    init(plan: TrainingPlan, architecture: ResNetArchitecture, algorithm: ConvolutionAlgorithm,
         height: Int, width: Int, shards: Int, backward: Bool, weightGradientKernel: Bool = false,
         winogradWeightGradient: Bool = TrainingKernels.winogradWeightGradientDefault,
         winogradWeightGradientTiles: WinogradWeightGradientTiles = .configured,
         stridedBackward: Bool = TrainingKernels.stridedBackwardDefault) {
        precondition(algorithm == .direct || algorithm.isWinograd, "TrainingKernels runs direct, winograd or winograd4")
        self.algorithm = algorithm
        let group = DirectConvolution.channelGroup
        var offset = 0
        var forward: [Int?] = [], inputGradient: [Int?] = [], weights: [Bool] = [], winogradWeights: [Bool] = []
        var strided: [Int?] = []
        var winogradCount = 1
        var scratchCount = DirectConvolution.scratchCapacity(architecture: architecture, height: height, width: width)
        for layer in plan.layers {
            let g = layer.geometry
            if g.outChannels % group == 0 {
                forward.append(offset)
                offset += Self.packedCount(g, domain: Self.domain(algorithm, stride: g.stride))
            } else {
                forward.append(nil)
            }
            // The stem's input (the images) needs no gradient.
            if backward && layer.input != nil && g.stride == 1 && g.inChannels % group == 0 {
                inputGradient.append(offset)
                offset += Self.packedCount(g, domain: Self.domain(algorithm, stride: 1))
            } else {
                inputGradient.append(nil)
            }
            // Only where the input gradient (if any) runs on the kernels too: the GEMM path computes both.
            let weightKernel = weightGradientKernel && backward && g.stride == 1 && g.outChannels % Int(WEIGHT_GRADIENT_CHANNEL_GROUP) == 0
                && (layer.input == nil || inputGradient.last! != nil)
            weights.append(weightKernel)
            let winogradWeight = !weightKernel && winogradWeightGradient && algorithm.isWinograd && backward
                && g.stride == 1 && (layer.input == nil || inputGradient.last! != nil)
            winogradWeights.append(winogradWeight)
            if winogradWeight {
                winogradCount = max(winogradCount, Self.winogradWeightGradientScratch(
                    channels: g.inChannels, outChannels: g.outChannels, height: g.outHeight, width: g.outWidth,
                    tiles: winogradWeightGradientTiles))
            }
            // Stride 2: both gradients on the stride-2 kernels (the stem, with no input gradient, is stride 1).
            let stridedGroup = Int(STRIDE2_BACKWARD_CHANNEL_GROUP)
            if stridedBackward && backward && layer.input != nil && g.stride == 2 && g.inChannels % stridedGroup == 0
                && g.outChannels % stridedGroup == 0 {
                strided.append(offset)
                offset += Self.stride2PackedCount(g)
                scratchCount = max(scratchCount, Self.stride2Scratch(g))
            } else {
                strided.append(nil)
            }
            if weightKernel {
                scratchCount = max(scratchCount, convolution_weight_gradient_scratch_floats(
                    Int32(g.inChannels), Int32(g.outChannels), Int32(g.outHeight), Int32(g.outWidth)))
            }
        }
        weightGradients = weights
        stridedOffsets = strided
        winogradWeightGradients = winogradWeights
        self.winogradWeightGradientTiles = winogradWeightGradientTiles
        winogradScratch = (0..<shards).map { _ in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: winogradCount)
            buffer.initialize(repeating: 0, count: winogradCount)
            return buffer
        }
        forwardOffsets = forward
        backwardOffsets = inputGradient
        packed = .allocate(capacity: max(offset, 1))
        packed.initialize(repeating: 0, count: max(offset, 1))
        scratch = (0..<shards).map { _ in
            let buffer = UnsafeMutablePointer<Float>.allocate(capacity: scratchCount)
            buffer.initialize(repeating: 0, count: scratchCount)
            return buffer
        }
        let maxChannels = plan.layers.map(\.channels).max() ?? 1
        zeroBias = .allocate(capacity: maxChannels)
        zeroBias.initialize(repeating: 0, count: maxChannels)
    }

    deinit {
        packed.deallocate()
        scratch.forEach { $0.deallocate() }
        winogradScratch.forEach { $0.deallocate() }
        zeroBias.deallocate()
    }

    /// Which kernel a convolution's packed filters are for: strided layers always run direct.
    enum FilterDomain { case direct, winograd, winograd4 }

    static func domain(_ algorithm: ConvolutionAlgorithm, stride: Int) -> FilterDomain {
        guard stride == 1 else { return .direct }
        switch algorithm {
        case .winograd: return .winograd
        case .winograd4: return .winograd4
        default: return .direct
        }
    }

    /// Floats of one layer's packed filters: 9·O·C direct, 16·O·C for F(2×2), 36·O·C for F(4×4).
    private static func packedCount(_ g: ConvolutionGeometry, domain: FilterDomain) -> Int {
        let points = switch domain { case .direct: 9; case .winograd: 16; case .winograd4: 36 }
        return points * g.outChannels * g.inChannels
    }

    /// Packs the filters of the kernel layers among `layers` (all by default) from the parameters (before a
    /// forward pass). Layers write disjoint filters: shares of them may be packed at once.
    func packForward(_ plan: TrainingPlan, values: UnsafePointer<Float>, layers: Range<Int>? = nil) {
        for index in layers ?? plan.layers.indices {
            let layer = plan.layers[index]
            guard let offset = forwardOffsets[index] else { continue }
            Self.pack(layer.geometry.outChannels, layer.geometry.inChannels, weight: values + layer.weight,
                      domain: Self.domain(algorithm, stride: layer.geometry.stride), into: packed + offset)
        }
    }

    /// Packs the input-gradient filters W' from the flipped filters (`ConvolutionTraining.flipWeights`,
    /// [C][O][3][3], aligned with the parameters like `flipped`), and the stride-2 layers' phase filters
    /// from the parameters `values` themselves.
    func packBackward(_ plan: TrainingPlan, flipped: UnsafePointer<Float>, values: UnsafePointer<Float>,
                      layers: Range<Int>? = nil) {
        for index in layers ?? plan.layers.indices {
            let layer = plan.layers[index]
            if let offset = stridedOffsets[index] {
                Self.stride2Pack(layer.geometry, weight: values + layer.weight, into: packed + offset)
            }
            guard let offset = backwardOffsets[index] else { continue }
            Self.pack(layer.geometry.inChannels, layer.geometry.outChannels, weight: flipped + layer.weight,
                      domain: Self.domain(algorithm, stride: 1), into: packed + offset)
        }
    }

    private static func pack(_ outChannels: Int, _ inChannels: Int, weight: UnsafePointer<Float>, domain: FilterDomain,
                             into target: UnsafeMutablePointer<Float>) {
        switch domain {
        case .winograd: winograd_convolution_pack_filters(weight, Int32(outChannels), Int32(inChannels), target)
        case .winograd4: winograd4_convolution_pack_filters(weight, Int32(outChannels), Int32(inChannels), target)
        case .direct: direct_convolution_pack_weights(weight, Int32(outChannels), Int32(inChannels), target)
        }
    }

    /// One stride-1 or -2 convolution on the kernel `domain` names (`DirectConvolution.convolve`'s contract).
    private func convolve(_ domain: FilterDomain, stride: Int, input: UnsafePointer<Float>, layout: ConvolutionKernels.PlaneLayout,
                          channels: Int, imageCount: Int, height: Int, width: Int, packedWeight: UnsafePointer<Float>,
                          outChannels: Int, output: UnsafeMutablePointer<Float>, rowStride: Int, bias: UnsafePointer<Float>?,
                          shard: Int) {
        if domain == .winograd4 {
            Winograd4Convolution.convolve(input: input, layout: layout, channels: channels, imageCount: imageCount, height: height,
                                          width: width, packedFilters: packedWeight, outChannels: outChannels, output: output,
                                          rowStride: rowStride, bias: bias, scratch: scratch[shard])
        } else {
            DirectConvolution.convolve(winograd: domain == .winograd, stride: stride, input: input, layout: layout,
                                       channels: channels, imageCount: imageCount, height: height, width: width,
                                       packedWeight: packedWeight, outChannels: outChannels, output: output,
                                       rowStride: rowStride, bias: bias, scratch: scratch[shard])
        }
    }

    /// Z[o][b] for b in `images` (overwritten), layer `index` (`forwardOffsets[index]` not nil).
    func forward(_ index: Int, _ g: ConvolutionGeometry, input: UnsafePointer<Float>,
                 inputLayout: ConvolutionKernels.PlaneLayout, output: UnsafeMutablePointer<Float>,
                 batch: Int, images: Range<Int>, shard: Int) {
        convolve(Self.domain(algorithm, stride: g.stride), stride: g.stride,
                 input: input + images.lowerBound * inputLayout.imageStride, layout: inputLayout,
                 channels: g.inChannels, imageCount: images.count, height: g.inHeight, width: g.inWidth,
                 packedWeight: packed + forwardOffsets[index]!, outChannels: g.outChannels,
                 output: output + images.lowerBound * g.outPlane, rowStride: batch * g.outPlane, bias: zeroBias, shard: shard)
    }

    /// dW[o][c][3][3] += the weight gradient of `images`, layer `index` (`weightGradients[index]`, stride 1).
    func weightGradient(_ g: ConvolutionGeometry, input: UnsafePointer<Float>, inputLayout: ConvolutionKernels.PlaneLayout,
                        gradOutput: UnsafePointer<Float>, gradWeight: UnsafeMutablePointer<Float>, batch: Int,
                        images: Range<Int>, shard: Int) {
        Self.weightGradient(input: input + images.lowerBound * inputLayout.imageStride, layout: inputLayout,
                            channels: g.inChannels, gradOutput: gradOutput + images.lowerBound * g.outPlane,
                            gradLayout: .init(channelStride: batch * g.outPlane, imageStride: g.outPlane),
                            outChannels: g.outChannels, imageCount: images.count, height: g.outHeight, width: g.outWidth,
                            into: gradWeight, scratch: scratch[shard])
    }

    /// dW[O][C][3][3] += Σ over `imageCount` images of the stride-1 weight gradient (`convolution_weight_gradient_3x3`);
    /// `scratch` holds at least `weightGradientScratch` floats. O must be even.
    static func weightGradient(input: UnsafePointer<Float>, layout: ConvolutionKernels.PlaneLayout, channels: Int,
                               gradOutput: UnsafePointer<Float>, gradLayout: ConvolutionKernels.PlaneLayout,
                               outChannels: Int, imageCount: Int, height: Int, width: Int,
                               into gradWeight: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        precondition(outChannels % Int(WEIGHT_GRADIENT_CHANNEL_GROUP) == 0, "\(outChannels) output channels: expected an even count")
        convolution_weight_gradient_3x3(input, layout.channelStride, layout.imageStride, Int32(channels),
                                        gradOutput, gradLayout.channelStride, gradLayout.imageStride, Int32(outChannels),
                                        Int32(imageCount), Int32(height), Int32(width), gradWeight, scratch)
    }

    static func weightGradientScratch(channels: Int, outChannels: Int, height: Int, width: Int) -> Int {
        convolution_weight_gradient_scratch_floats(Int32(channels), Int32(outChannels), Int32(height), Int32(width))
    }

    /// dX[c][b] += conv(dZ, W')[c][b] for b in `images`, layer `index` (`backwardOffsets[index]` not nil);
    /// dZ and dX are CNHW over `batch` images. `overwrite`: dX[c][b] = conv(dZ, W')[c][b] + 0 instead (the
    /// epilogue's zero bias), the bits of adding onto a zeroed dX (+0 + s and s + 0 round alike, −0 too)
    /// without zeroing it or reading it back.
    func inputGradient(_ index: Int, _ g: ConvolutionGeometry, gradOutput: UnsafePointer<Float>,
                       gradInput: UnsafeMutablePointer<Float>, batch: Int, images: Range<Int>, shard: Int,
                       overwrite: Bool = false) {
        let layout = ConvolutionKernels.PlaneLayout(channelStride: batch * g.outPlane, imageStride: g.outPlane)
        convolve(Self.domain(algorithm, stride: 1), stride: 1,
                 input: gradOutput + images.lowerBound * g.outPlane, layout: layout,
                 channels: g.outChannels, imageCount: images.count, height: g.outHeight, width: g.outWidth,
                 packedWeight: packed + backwardOffsets[index]!, outChannels: g.inChannels,
                 output: gradInput + images.lowerBound * g.inPlane, rowStride: batch * g.inPlane,
                 bias: overwrite ? zeroBias : nil, shard: shard)
    }

    /// dX[c][b] += the stride-2 input gradient of `images`, layer `index` (`stridedOffsets[index]` not nil);
    /// dZ and dX are CNHW over `batch` images.
    func stridedInputGradient(_ index: Int, _ g: ConvolutionGeometry, gradOutput: UnsafePointer<Float>,
                              gradInput: UnsafeMutablePointer<Float>, batch: Int, images: Range<Int>, shard: Int) {
        Self.stride2InputGradient(g, gradOutput: gradOutput + images.lowerBound * g.outPlane,
                                  gradLayout: .init(channelStride: batch * g.outPlane, imageStride: g.outPlane),
                                  packed: packed + stridedOffsets[index]!, imageCount: images.count,
                                  into: gradInput + images.lowerBound * g.inPlane,
                                  layout: .init(channelStride: batch * g.inPlane, imageStride: g.inPlane),
                                  scratch: scratch[shard])
    }

    /// dW[o][c][3][3] += the stride-2 weight gradient of `images` (`stridedOffsets[index]` not nil).
    func stridedWeightGradient(_ g: ConvolutionGeometry, input: UnsafePointer<Float>,
                               inputLayout: ConvolutionKernels.PlaneLayout, gradOutput: UnsafePointer<Float>,
                               gradWeight: UnsafeMutablePointer<Float>, batch: Int, images: Range<Int>, shard: Int) {
        Self.stride2WeightGradient(g, input: input + images.lowerBound * inputLayout.imageStride, layout: inputLayout,
                                   gradOutput: gradOutput + images.lowerBound * g.outPlane,
                                   gradLayout: .init(channelStride: batch * g.outPlane, imageStride: g.outPlane),
                                   imageCount: images.count, into: gradWeight, scratch: scratch[shard])
    }

    /// Floats of `stride2_input_gradient_pack`'s filters for `g` (9·O·C).
    static func stride2PackedCount(_ g: ConvolutionGeometry) -> Int {
        stride2_input_gradient_packed_floats(Int32(g.outChannels), Int32(g.inChannels))
    }

    /// The phase filters of a stride-2 input gradient from the weights W[O][C][3][3].
    static func stride2Pack(_ g: ConvolutionGeometry, weight: UnsafePointer<Float>, into packed: UnsafeMutablePointer<Float>) {
        stride2_input_gradient_pack(weight, Int32(g.outChannels), Int32(g.inChannels), packed)
    }

    /// Scratch floats the two stride-2 kernels need for `g` (the larger of the two).
    static func stride2Scratch(_ g: ConvolutionGeometry) -> Int {
        max(stride2_input_gradient_scratch_floats(Int32(g.outChannels), Int32(g.inHeight), Int32(g.inWidth)),
            stride2_weight_gradient_scratch_floats(Int32(g.inChannels), Int32(g.outChannels), Int32(g.inHeight),
                                                   Int32(g.inWidth)))
    }

    /// dX += the input gradient of `imageCount` images of the stride-2 convolution `g` (StridedBackward.h);
    /// `packed` from `stride2Pack`. C and O multiples of `STRIDE2_BACKWARD_CHANNEL_GROUP`.
    static func stride2InputGradient(_ g: ConvolutionGeometry, gradOutput: UnsafePointer<Float>,
                                     gradLayout: ConvolutionKernels.PlaneLayout, packed: UnsafePointer<Float>,
                                     imageCount: Int, into gradInput: UnsafeMutablePointer<Float>,
                                     layout: ConvolutionKernels.PlaneLayout, scratch: UnsafeMutablePointer<Float>) {
        precondition(g.stride == 2 && g.inChannels % Int(STRIDE2_BACKWARD_CHANNEL_GROUP) == 0
                     && g.outChannels % Int(STRIDE2_BACKWARD_CHANNEL_GROUP) == 0, "stride-2 kernels: \(g)")
        stride2_input_gradient_3x3(gradOutput, gradLayout.channelStride, gradLayout.imageStride, Int32(g.outChannels),
                                   Int32(imageCount), Int32(g.inHeight), Int32(g.inWidth), packed, Int32(g.inChannels),
                                   gradInput, layout.channelStride, layout.imageStride, scratch)
    }

    /// dW[O][C][3][3] += the weight gradient of `imageCount` images of the stride-2 convolution `g`.
    static func stride2WeightGradient(_ g: ConvolutionGeometry, input: UnsafePointer<Float>,
                                      layout: ConvolutionKernels.PlaneLayout, gradOutput: UnsafePointer<Float>,
                                      gradLayout: ConvolutionKernels.PlaneLayout, imageCount: Int,
                                      into gradWeight: UnsafeMutablePointer<Float>, scratch: UnsafeMutablePointer<Float>) {
        precondition(g.stride == 2 && g.inChannels % Int(STRIDE2_BACKWARD_CHANNEL_GROUP) == 0
                     && g.outChannels % Int(STRIDE2_BACKWARD_CHANNEL_GROUP) == 0, "stride-2 kernels: \(g)")
        stride2_weight_gradient_3x3(input, layout.channelStride, layout.imageStride, Int32(g.inChannels),
                                    gradOutput, gradLayout.channelStride, gradLayout.imageStride, Int32(g.outChannels),
                                    Int32(imageCount), Int32(g.inHeight), Int32(g.inWidth), gradWeight, scratch)
    }

    /// Whether stride-2 layers' gradients run on the stride-2 kernels (the default); `LANDSCAPE_TRAINING_STRIDED=gemm`
    /// keeps them on im2col + GEMM + col2im, for side-by-side measurements on one binary.
    static let stridedBackwardDefault = ProcessInfo.processInfo.environment["LANDSCAPE_TRAINING_STRIDED"] != "gemm"

    /// Which code computes a layer's gradients.
    enum GradientPath: String, Sendable { case gemm, direct, winograd, stride2, none }

    /// The input gradient's path of layer `index` (`none` for the stem, whose input is the images).
    func inputGradientPath(_ index: Int, _ layer: TrainingLayer) -> GradientPath {
        if layer.input == nil { return .none }
        if stridedOffsets[index] != nil { return .stride2 }
        guard backwardOffsets[index] != nil else { return .gemm }
        return algorithm.isWinograd ? .winograd : .direct
    }

    /// The weight gradient's path of layer `index`.
    func weightGradientPath(_ index: Int) -> GradientPath {
        if stridedOffsets[index] != nil { return .stride2 }
        if weightGradients[index] { return .direct }
        return winogradWeightGradients[index] ? .winograd : .gemm
    }

    /// dW[o][c][3][3] += the Winograd weight gradient of `images`, layer `index` (`winogradWeightGradients[index]`).
    func winogradWeightGradient(_ g: ConvolutionGeometry, input: UnsafePointer<Float>,
                                inputLayout: ConvolutionKernels.PlaneLayout, gradOutput: UnsafePointer<Float>,
                                gradWeight: UnsafeMutablePointer<Float>, batch: Int, images: Range<Int>, shard: Int,
                                profile: TrainingProfile?) {
        Self.winogradWeightGradient(input: input + images.lowerBound * inputLayout.imageStride, layout: inputLayout,
                                    channels: g.inChannels, gradOutput: gradOutput + images.lowerBound * g.outPlane,
                                    gradLayout: .init(channelStride: batch * g.outPlane, imageStride: g.outPlane),
                                    outChannels: g.outChannels, imageCount: images.count, height: g.outHeight,
                                    width: g.outWidth, into: gradWeight, scratch: winogradScratch[shard],
                                    tiles: winogradWeightGradientTiles, profile: profile, shard: shard)
    }

    /// Whether stride-1 weight gradients run by Winograd when the network trains on `winograd` (the
    /// default); `LANDSCAPE_TRAINING_WEIGHT_GRADIENT=gemm` keeps them on im2col + GEMM, for side-by-side
    /// measurements of the two on one binary. Both give the same results within float32 rounding.
    static let winogradWeightGradientDefault = ProcessInfo.processInfo.environment["LANDSCAPE_TRAINING_WEIGHT_GRADIENT"] != "gemm"
}
