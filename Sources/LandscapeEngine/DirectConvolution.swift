import CDirectConvolution

/// Swift face of the C kernels in CDirectConvolution: 3×3, stride-1, padding-1
/// convolutions (direct, and Winograd F(2×2, 3×3)) that read each input once into
/// a zero-bordered plane and accumulate in registers, instead of unfolding 9
/// copies (im2col) for a GEMM.
enum DirectConvolution {
    /// Whether the register kernels run: this CPU has AVX2 and FMA and `portable` was not selected
    /// (`KernelISA`; networks pack weights for the kernels only when it holds).
    static var isAvailable: Bool { KernelISA.current != .portable }

    /// Output channels per register block: the kernels need O to be a multiple of it.
    static let channelGroup = Int(DIRECT_CONVOLUTION_CHANNEL_GROUP)

    /// W[O][C][3][3] in the kernel's reading order, or empty when the kernel
    /// cannot run (no AVX2, or O not a multiple of its channel group).
    static func packedWeights(_ weight: [Float], outChannels: Int, inChannels: Int) -> [Float] {
        guard isAvailable, outChannels % channelGroup == 0 else { return [] }
        return [Float](unsafeUninitializedCapacity: weight.count) { packed, initialized in
            weight.withUnsafeBufferPointer { w in
                direct_convolution_pack_weights(w.baseAddress!, Int32(outChannels), Int32(inChannels), packed.baseAddress!)
            }
            initialized = weight.count
        }
    }

    /// Winograd-domain filters U = G g Gᵀ (float64 transform) in the kernel's order, or empty
    /// when the kernel cannot run.
    static func packedWinogradFilters(_ weight: [Float], outChannels: Int, inChannels: Int) -> [Float] {
        guard isAvailable, outChannels % channelGroup == 0 else { return [] }
        let count = 16 * outChannels * inChannels
        return [Float](unsafeUninitializedCapacity: count) { packed, initialized in
            weight.withUnsafeBufferPointer { w in
                winograd_convolution_pack_filters(w.baseAddress!, Int32(outChannels), Int32(inChannels), packed.baseAddress!)
            }
            initialized = count
        }
    }

    /// Scratch floats for one convolution of `channels` H×W input planes (any stride-1 kernel, `outChannels` outputs).
    static func scratchFloats(channels: Int, outChannels: Int, height: Int, width: Int) -> Int {
        max(direct_convolution_scratch_floats(Int32(channels), Int32(outChannels), Int32(height), Int32(width)),
            winograd_convolution_scratch_floats(Int32(channels), Int32(outChannels), Int32(height), Int32(width)),
            Winograd4Convolution.scratchFloats(channels: channels, outChannels: outChannels, height: height, width: width))
    }

    /// Scratch floats for one stride-2 convolution of `channels` H×W input planes.
    static func stride2ScratchFloats(channels: Int, height: Int, width: Int) -> Int {
        direct_convolution_stride2_scratch_floats(Int32(channels), Int32(height), Int32(width))
    }

    /// Scratch floats for every convolution of `architecture` on H×W inputs.
    static func scratchCapacity(architecture: ResNetArchitecture, height: Int, width: Int) -> Int {
        let widths = ResNetArchitecture.stageWidths
        var capacity = scratchFloats(channels: architecture.inputChannels, outChannels: widths[0], height: height, width: width)
        var h = height, w = width
        for (stage, channels) in widths.enumerated() {
            if stage > 0 {
                // The stage's first convolution: stride 2 on the previous stage's planes.
                capacity = max(capacity, stride2ScratchFloats(channels: widths[stage - 1], height: h, width: w))
                (h, w) = ((h + 1) / 2, (w + 1) / 2)
            }
            capacity = max(capacity, scratchFloats(channels: channels, outChannels: channels, height: h, width: w))
        }
        return capacity
    }

    /// The epilogue's code for an activation it computes (ReLU, Swish, Mish), nil for the others.
    static func fusedCode(_ activation: Activation) -> Int32? {
        switch activation.kind {
        case .relu: return Int32(DIRECT_CONVOLUTION_RELU)
        case .swish: return Int32(DIRECT_CONVOLUTION_SWISH)
        case .mish: return Int32(DIRECT_CONVOLUTION_MISH)
        default: return nil
        }
    }

    /// The epilogue's activation over a buffer (on the selected ISA; tests compare it with float64).
    static func activate(_ data: UnsafeMutableBufferPointer<Float>, _ activation: Activation) {
        direct_convolution_activate(data.baseAddress!, data.count, fusedCode(activation)!)
    }

    /// conv(input) (direct at stride 1 or 2, or Winograd with `packedWinogradFilters`) for `imageCount` H×W images
    /// into output[o·rowStride + b·Ho·Wo + …]: added onto what is
    /// there when `bias` is nil, else written as activation(conv + bias[o] (+ shortcut, laid out like the output)),
    /// `activation` one of ReLU, Swish, Mish (`fusedCode`) or nil.
    static func convolve(winograd: Bool = false, stride: Int = 1, input: UnsafePointer<Float>, layout: ConvolutionKernels.PlaneLayout, channels: Int,
                         imageCount: Int, height: Int, width: Int, packedWeight: UnsafePointer<Float>, outChannels: Int,
                         output: UnsafeMutablePointer<Float>, rowStride: Int,
                         bias: UnsafePointer<Float>? = nil, shortcut: UnsafePointer<Float>? = nil,
                         activation: Activation? = nil,
                         scratch: UnsafeMutablePointer<Float>) {
        precondition(bias != nil || (shortcut == nil && activation == nil), "a shortcut or activation needs the bias epilogue")
        let code = activation.map { fusedCode($0)! } ?? Int32(DIRECT_CONVOLUTION_IDENTITY)
        let epilogue = direct_convolution_epilogue(bias: bias, residual: shortcut, activation: code)
        precondition(stride == 1 || (stride == 2 && !winograd), "Winograd is stride 1 only")
        let kernel = stride == 2 ? direct_convolution_3x3_stride2 : winograd ? winograd_convolution_3x3 : direct_convolution_3x3
        let outputPlane = ((height - 1) / stride + 1) * ((width - 1) / stride + 1)
        kernel(input, layout.channelStride, layout.imageStride, Int32(channels), Int32(imageCount),
               Int32(height), Int32(width), packedWeight, Int32(outChannels),
               output, rowStride, outputPlane, epilogue, scratch)
    }
}
