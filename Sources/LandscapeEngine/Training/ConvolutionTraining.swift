/// The shape of one 3x3 convolution (padding 1, no bias) of the ResNet.
struct ConvolutionGeometry: Sendable, Equatable {
    let inChannels: Int
    let outChannels: Int
    let stride: Int
    let inHeight: Int
    let inWidth: Int

    var outHeight: Int { (inHeight - 1) / stride + 1 }
    var outWidth: Int { (inWidth - 1) / stride + 1 }
    var inPlane: Int { inHeight * inWidth }
    var outPlane: Int { outHeight * outWidth }
    /// Rows of the unfolded patches: the GEMM's inner dimension.
    var reduction: Int { inChannels * 9 }
    var weightCount: Int { outChannels * reduction }
}

/// Convolution forward and backward on a range of a batch's images (a
/// shard), chunk by chunk so an unfolded chunk stays in cache:
///
///   forward      Z[O][cols]  = W[O][C·9] × col[C·9][cols]           (im2col + GEMM)
///   weight grad  dW[O][C·9] += dZ[O][cols] × col[C·9][cols]ᵀ         (GEMM)
///   input grad   stride 1: dX[C][cols] += W'[C][O·9] × col(dZ)[O·9][cols]  (im2col + GEMM)
///                stride 2: dcol[C·9][cols] = Wᵀ × dZ, then dX += col2im(dcol)  (GEMM + col2im)
///
/// A stride-1 input gradient is the convolution of dZ with the flipped,
/// transposed filters W' (`flipWeights`): its GEMM has the long inner
/// dimension O·9 instead of O (16 in stage 1, which leaves BLAS mostly
/// loading and storing C), and it needs no scalar col2im.
///
/// Outputs and output gradients are CNHW over the whole batch: channel `o`,
/// image `b` starts at `(o·batch + b)·outPlane`, so a shard's columns of a
/// channel are one contiguous segment (GEMM leading dimension batch·outPlane).
enum ConvolutionTraining {
    /// How many images' unfolded patches fit in `capacity` floats (at least one).
    /// With `unfoldingOutput`, dZ is unfolded too (O·9 rows per column).
    static func imagesPerChunk(_ g: ConvolutionGeometry, capacity: Int, unfoldingOutput: Bool = false) -> Int {
        let rows = unfoldingOutput ? max(g.reduction, g.outChannels * 9) : g.reduction
        return max(1, capacity / (rows * g.outPlane))
    }

    /// W'[c][(o·3 + dy)·3 + dx] = W[o][c][2 − dy][2 − dx]: the filters of the
    /// stride-1 input gradient, dX = conv(dZ, W') with padding 1.
    static func flipWeights(_ g: ConvolutionGeometry, weight: UnsafePointer<Float>,
                            into flipped: UnsafeMutablePointer<Float>) {
        for o in 0..<g.outChannels {
            for c in 0..<g.inChannels {
                let source = weight + (o * g.inChannels + c) * 9
                let target = flipped + (c * g.outChannels + o) * 9
                for i in 0..<9 { target[i] = source[8 - i] }
            }
        }
    }

    /// Z[o][b] for b in `images` (pre-BatchNorm output, overwritten).
    /// Shapes: weight [O][C·9]; input planes per `inputLayout`; output CNHW with `batch` images;
    /// columns ≥ min(capacity, C·9·outPlane) floats of scratch.
    static func forward(_ g: ConvolutionGeometry, weight: UnsafePointer<Float>,
                        input: UnsafePointer<Float>, inputLayout: ConvolutionKernels.PlaneLayout,
                        output: UnsafeMutablePointer<Float>, batch: Int, images: Range<Int>,
                        columns: UnsafeMutablePointer<Float>, columnCapacity: Int) {
        let chunk = imagesPerChunk(g, capacity: columnCapacity)
        var first = images.lowerBound
        while first < images.upperBound {
            let count = min(chunk, images.upperBound - first)
            let cols = count * g.outPlane
            ConvolutionKernels.im2col3x3(source: input + first * inputLayout.imageStride, layout: inputLayout,
                                         channels: g.inChannels, imageCount: count, height: g.inHeight,
                                         width: g.inWidth, stride: g.stride, into: columns)
            TrainingBLAS.gemm(m: g.outChannels, n: cols, k: g.reduction, a: weight, lda: g.reduction,
                              b: columns, ldb: cols, beta: 0,
                              c: output + first * g.outPlane, ldc: batch * g.outPlane)
            first += count
        }
    }

    /// Accumulates the weight gradient of `images` into `gradWeight` [O][C·9] and,
    /// when `gradInput` is given, adds the input gradient into it (CNHW, `batch`
    /// images, the caller zeroes or pre-fills it). `gradColumns` is scratch like `columns`.
    /// With `flippedWeight` (from `flipWeights`), a stride-1 convolution whose input
    /// is CNHW takes the direct input-gradient path.
    static func backward(_ g: ConvolutionGeometry, weight: UnsafePointer<Float>,
                         input: UnsafePointer<Float>, inputLayout: ConvolutionKernels.PlaneLayout,
                         gradOutput: UnsafePointer<Float>, batch: Int, images: Range<Int>,
                         gradWeight: UnsafeMutablePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
                         columns: UnsafeMutablePointer<Float>, gradColumns: UnsafeMutablePointer<Float>,
                         columnCapacity: Int, flippedWeight: UnsafePointer<Float>? = nil) {
        // The direct path's GEMM writes channel rows of dX with one leading dimension.
        let direct = gradInput != nil && flippedWeight != nil && g.stride == 1 && inputLayout.imageStride == g.inPlane
        let chunk = imagesPerChunk(g, capacity: columnCapacity, unfoldingOutput: direct)
        let ldz = batch * g.outPlane
        let outputLayout = ConvolutionKernels.PlaneLayout(channelStride: ldz, imageStride: g.outPlane)
        var first = images.lowerBound
        while first < images.upperBound {
            let count = min(chunk, images.upperBound - first)
            let cols = count * g.outPlane
            let gradChunk = gradOutput + first * g.outPlane
            ConvolutionKernels.im2col3x3(source: input + first * inputLayout.imageStride, layout: inputLayout,
                                         channels: g.inChannels, imageCount: count, height: g.inHeight,
                                         width: g.inWidth, stride: g.stride, into: columns)
            TrainingBLAS.gemm(transposeB: true, m: g.outChannels, n: g.reduction, k: cols,
                              a: gradChunk, lda: ldz, b: columns, ldb: cols, beta: 1,
                              c: gradWeight, ldc: g.reduction)
            if let gradInput, direct, let flippedWeight {
                ConvolutionKernels.im2col3x3(source: gradChunk, layout: outputLayout, channels: g.outChannels,
                                             imageCount: count, height: g.outHeight, width: g.outWidth, stride: 1,
                                             into: gradColumns)
                TrainingBLAS.gemm(m: g.inChannels, n: cols, k: g.outChannels * 9, a: flippedWeight,
                                  lda: g.outChannels * 9, b: gradColumns, ldb: cols, beta: 1,
                                  c: gradInput + first * inputLayout.imageStride, ldc: inputLayout.channelStride)
            } else if let gradInput {
                TrainingBLAS.gemm(transposeA: true, m: g.reduction, n: cols, k: g.outChannels,
                                  a: weight, lda: g.reduction, b: gradChunk, ldb: ldz, beta: 0,
                                  c: gradColumns, ldc: cols)
                col2im3x3(gradColumns, layout: inputLayout, channels: g.inChannels, imageCount: count,
                          height: g.inHeight, width: g.inWidth, stride: g.stride,
                          addingInto: gradInput + first * inputLayout.imageStride)
            }
            first += count
        }
    }

    /// The adjoint of `ConvolutionKernels.im2col3x3`: adds column row
    /// (c·3 + dy)·3 + dx, column b·Ho·Wo + oy·Wo + ox onto the input pixel it
    /// was copied from; padding positions are dropped.
    static func col2im3x3(_ col: UnsafePointer<Float>, layout: ConvolutionKernels.PlaneLayout, channels: Int,
                          imageCount: Int, height: Int, width: Int, stride: Int,
                          addingInto target: UnsafeMutablePointer<Float>) {
        let outH = (height - 1) / stride + 1, outW = (width - 1) / stride + 1
        let planeSize = outH * outW
        let rowLength = imageCount * planeSize
        for c in 0..<channels {
            for dy in 0..<3 {
                for dx in 0..<3 {
                    let row = col + ((c * 3 + dy) * 3 + dx) * rowLength
                    for b in 0..<imageCount {
                        let plane = target + c * layout.channelStride + b * layout.imageStride
                        let source = row + b * planeSize
                        for oy in 0..<outH {
                            let iy = oy * stride + dy - 1
                            guard iy >= 0 && iy < height else { continue }
                            let dst = plane + iy * width
                            let src = source + oy * outW
                            if stride == 1 {
                                addShiftedRow(src, dst, width: width, shift: dx - 1)
                            } else {
                                for ox in 0..<outW {
                                    let ix = ox * stride + dx - 1
                                    if ix >= 0 && ix < width { dst[ix] += src[ox] }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// dst[x + shift] += src[x] where x + shift lies inside the row (shift ∈ {-1, 0, 1}).
    @inline(__always)
    private static func addShiftedRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                      width: Int, shift: Int) {
        switch shift {
        case -1: for x in 1..<width { dst[x - 1] += src[x] }
        case 0: for x in 0..<width { dst[x] += src[x] }
        default: for x in 0..<(width - 1) { dst[x + 1] += src[x] }
        }
    }
}
