import CDirectConvolution
import Foundation

/// Swift face of Winograd F(4×4, 3×3) (CDirectConvolution's Winograd4Convolution.c): the stride-1 3×3
/// convolution of `DirectConvolution.convolve` with 4× fewer multiplies than direct (36 per 4×4 output
/// tile and channel pair instead of 144; F(2×2) does 16 per 2×2 tile, 2.25× fewer), on the same CNHW
/// planes, calling convention and fused epilogue (bias, identity shortcut, ReLU/Swish/Mish), so
/// `ConvolutionAlgorithm.winograd4` swaps it in layer by layer. AVX2 or AVX-512 as `KernelISA` selects.
enum Winograd4Convolution {
    /// U = G g Gᵀ (6×6 per filter, float64 transform, one rounding) in the kernel's order [O/4][36][C][4],
    /// or empty when the kernels cannot run (no AVX2, or O not a multiple of the channel group).
    static func packedFilters(_ weight: [Float], outChannels: Int, inChannels: Int) -> [Float] {
        guard DirectConvolution.isAvailable, outChannels % DirectConvolution.channelGroup == 0 else { return [] }
        let count = Int(winograd4_convolution_packed_floats(Int32(outChannels), Int32(inChannels)))
        return [Float](unsafeUninitializedCapacity: count) { packed, initialized in
            weight.withUnsafeBufferPointer { w in
                winograd4_convolution_pack_filters(w.baseAddress!, Int32(outChannels), Int32(inChannels), packed.baseAddress!)
            }
            initialized = count
        }
    }

    /// Scratch floats for one call on `channels` H×W planes (any image count, either ISA).
    static func scratchFloats(channels: Int, outChannels: Int, height: Int, width: Int) -> Int {
        winograd4_convolution_scratch_floats(Int32(channels), Int32(outChannels), Int32(height), Int32(width))
    }

    /// conv(input) for `imageCount` H×W images into output[o·rowStride + b·H·W + …], as
    /// `DirectConvolution.convolve` at stride 1: added onto the output when `bias` is nil, else
    /// activation(conv + bias[o] (+ shortcut)). `packedFilters` from `packedFilters(_:outChannels:inChannels:)`.
    static func convolve(input: UnsafePointer<Float>, layout: ConvolutionKernels.PlaneLayout, channels: Int,
                         imageCount: Int, height: Int, width: Int, packedFilters: UnsafePointer<Float>, outChannels: Int,
                         output: UnsafeMutablePointer<Float>, rowStride: Int,
                         bias: UnsafePointer<Float>? = nil, shortcut: UnsafePointer<Float>? = nil,
                         activation: Activation? = nil, scratch: UnsafeMutablePointer<Float>) {
        precondition(bias != nil || (shortcut == nil && activation == nil), "a shortcut or activation needs the bias epilogue")
        let code = activation.map { DirectConvolution.fusedCode($0)! } ?? Int32(DIRECT_CONVOLUTION_IDENTITY)
        let epilogue = direct_convolution_epilogue(bias: bias, residual: shortcut, activation: code)
        winograd4_convolution_3x3(input, layout.channelStride, layout.imageStride, Int32(channels), Int32(imageCount),
                                  Int32(height), Int32(width), packedFilters, Int32(outChannels),
                                  output, rowStride, height * width, epilogue, scratch)
    }
}
