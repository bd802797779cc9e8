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
    /// A piece of a shard whose unfolded patches fit the column buffer:
    /// `count` whole images from `first`, or, for a stride-1 convolution whose
    /// image alone would not fit, the output rows `rows` of one image (a
    /// band), so the unfolded chunk stays in the L2 cache.
    struct Chunk {
        let first: Int
        let count: Int
        let rows: Range<Int>

        /// Where the chunk's columns start in a CNHW output-shaped tensor (per channel).
        func offset(_ g: ConvolutionGeometry) -> Int { first * g.outPlane + rows.lowerBound * g.outWidth }
        func columns(_ g: ConvolutionGeometry) -> Int { count * rows.count * g.outWidth }
    }

    /// Calls `body` for the chunks of `images`, in order. `unfoldedRows` is the
    /// row count of the largest unfolded matrix (C·9, or O·9 when dZ is unfolded too).
    static func forEachChunk(_ g: ConvolutionGeometry, images: Range<Int>, capacity: Int, unfoldedRows: Int,
                             allowsBands: Bool, _ body: (Chunk) -> Void) {
        let perImage = unfoldedRows * g.outPlane
        if allowsBands && g.stride == 1 && perImage > capacity {
            let bandRows = max(1, capacity / (unfoldedRows * g.outWidth))
            for image in images {
                var row = 0
                while row < g.outHeight {
                    let end = min(row + bandRows, g.outHeight)
                    body(Chunk(first: image, count: 1, rows: row..<end))
                    row = end
                }
            }
            return
        }
        precondition(perImage <= capacity, "column buffer of \(capacity) floats: one image needs \(perImage)")
        let perChunk = capacity / perImage
        var first = images.lowerBound
        while first < images.upperBound {
            let count = min(perChunk, images.upperBound - first)
            body(Chunk(first: first, count: count, rows: 0..<g.outHeight))
            first += count
        }
    }

    /// Floats of column buffer a convolution needs at least: one band row of a
    /// stride-1 convolution (dZ unfolded too), one whole image of a strided one.
    static func minimumCapacity(_ g: ConvolutionGeometry) -> Int {
        g.stride == 1 ? max(g.reduction, 9 * g.outChannels) * g.outWidth : g.reduction * g.outPlane
    }

    /// im2col of a chunk's patches of `source` (C channels of `g`'s input size).
    static func unfold(_ g: ConvolutionGeometry, _ chunk: Chunk, source: UnsafePointer<Float>,
                               layout: ConvolutionKernels.PlaneLayout, into columns: UnsafeMutablePointer<Float>) {
        let images = source + chunk.first * layout.imageStride
        if g.stride == 1 {
            ConvolutionKernels.im2colStride1(source: images, layout: layout, channels: g.inChannels,
                                             imageCount: chunk.count, height: g.inHeight, width: g.inWidth,
                                             rows: chunk.rows, into: columns)
        } else {
            ConvolutionKernels.im2col3x3(source: images, layout: layout, channels: g.inChannels,
                                         imageCount: chunk.count, height: g.inHeight, width: g.inWidth,
                                         stride: g.stride, into: columns)
        }
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
        forEachChunk(g, images: images, capacity: columnCapacity, unfoldedRows: g.reduction, allowsBands: true) { chunk in
            unfold(g, chunk, source: input, layout: inputLayout, into: columns)
            let cols = chunk.columns(g)
            TrainingBLAS.gemm(m: g.outChannels, n: cols, k: g.reduction, a: weight, lda: g.reduction,
                              b: columns, ldb: cols, beta: 0,
                              c: output + chunk.offset(g), ldc: batch * g.outPlane)
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
                         columnCapacity: Int, flippedWeight: UnsafePointer<Float>? = nil,
                         profile: TrainingProfile? = nil, shard: Int = 0) {
        // Times a piece of the work when profiling (`TrainingProfile`).
        func timed(_ phase: TrainingProfile.Phase, _ body: () -> Void) {
            guard let profile else { return body() }
            let start = TrainingProfile.now()
            body()
            profile.add(phase, shard: shard, since: start)
        }
        // The direct path's GEMM writes channel rows of dX with one leading dimension.
        let direct = gradInput != nil && flippedWeight != nil && g.stride == 1 && inputLayout.imageStride == g.inPlane
        let unfoldedRows = direct ? max(g.reduction, 9 * g.outChannels) : g.reduction
        let ldz = batch * g.outPlane
        // dZ as a stride-1 convolution's input: O channels of the output size.
        let gradGeometry = ConvolutionGeometry(inChannels: g.outChannels, outChannels: g.inChannels, stride: 1,
                                               inHeight: g.outHeight, inWidth: g.outWidth)
        let gradLayout = ConvolutionKernels.PlaneLayout(channelStride: ldz, imageStride: g.outPlane)
        // col2im works on whole images only.
        forEachChunk(g, images: images, capacity: columnCapacity, unfoldedRows: unfoldedRows,
                     allowsBands: gradInput == nil || direct) { chunk in
            let cols = chunk.columns(g)
            let gradChunk = gradOutput + chunk.offset(g)
            timed(.unfold) { unfold(g, chunk, source: input, layout: inputLayout, into: columns) }
            timed(.backwardWeights) {
                TrainingBLAS.gemm(transposeB: true, m: g.outChannels, n: g.reduction, k: cols,
                                  a: gradChunk, lda: ldz, b: columns, ldb: cols, beta: 1,
                                  c: gradWeight, ldc: g.reduction)
            }
            if let gradInput, direct, let flippedWeight {
                timed(.unfold) { unfold(gradGeometry, chunk, source: gradOutput, layout: gradLayout, into: gradColumns) }
                timed(.backwardData) {
                    TrainingBLAS.gemm(m: g.inChannels, n: cols, k: g.outChannels * 9, a: flippedWeight,
                                      lda: g.outChannels * 9, b: gradColumns, ldb: cols, beta: 1,
                                      c: gradInput + chunk.first * inputLayout.imageStride + chunk.rows.lowerBound * g.inWidth,
                                      ldc: inputLayout.channelStride)
                }
            } else if let gradInput {
                timed(.backwardData) {
                    TrainingBLAS.gemm(transposeA: true, m: g.reduction, n: cols, k: g.outChannels,
                                      a: weight, lda: g.reduction, b: gradChunk, ldb: ldz, beta: 0,
                                      c: gradColumns, ldc: cols)
                    col2im3x3(gradColumns, layout: inputLayout, channels: g.inChannels, imageCount: chunk.count,
                              height: g.inHeight, width: g.inWidth, stride: g.stride,
                              addingInto: gradInput + chunk.first * inputLayout.imageStride)
                }
            }
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
