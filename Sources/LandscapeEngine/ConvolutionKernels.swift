import COpenBLAS

/// Low-level kernels of the forward pass. Activations are laid out CNHW:
/// channel planes, each holding the micro-batch's images back to back, so a
/// convolution is one GEMM  out[O][B·Ho·Wo] = W[O][C·9] × col[C·9][B·Ho·Wo]
/// with a long N dimension, and a channel's rows for a chunk of images are
/// one contiguous segment for the epilogue.
enum ConvolutionKernels {
    /// Where image `b`, channel `c` starts: `base + c·channelStride + b·imageStride`.
    /// The network input is NCHW (channelStride = H·W, imageStride = C·H·W);
    /// intermediate activations are CNHW (channelStride = B·H·W, imageStride = H·W).
    struct PlaneLayout {
        var channelStride: Int
        var imageStride: Int
    }

    /// Unfolds 3x3 patches (padding 1) of `imageCount` images into `col`,
    /// row (c·3 + dy)·3 + dx, column b·Ho·Wo + oy·Wo + ox.
    static func im2col3x3(source: UnsafePointer<Float>, layout: PlaneLayout, channels: Int,
                          imageCount: Int, height: Int, width: Int, stride: Int,
                          into col: UnsafeMutablePointer<Float>) {
        if stride == 1 {
            im2colStride1(source: source, layout: layout, channels: channels, imageCount: imageCount,
                          height: height, width: width, into: col)
            return
        }
        let outH = (height - 1) / stride + 1, outW = (width - 1) / stride + 1
        let planeSize = outH * outW
        let rowLength = imageCount * planeSize
        for c in 0..<channels {
            for dy in 0..<3 {
                for dx in 0..<3 {
                    let row = col + ((c * 3 + dy) * 3 + dx) * rowLength
                    for b in 0..<imageCount {
                        let plane = source + c * layout.channelStride + b * layout.imageStride
                        let target = row + b * planeSize
                        for oy in 0..<outH {
                            let iy = oy * stride + dy - 1
                            let dst = target + oy * outW
                            guard iy >= 0 && iy < height else {
                                dst.update(repeating: 0, count: outW)
                                continue
                            }
                            let src = plane + iy * width
                            for ox in 0..<outW {
                                let ix = ox * stride + dx - 1
                                dst[ox] = ix >= 0 && ix < width ? src[ix] : 0
                            }
                        }
                    }
                }
            }
        }
    }

    /// Stride 1: column row (c, dy, dx) of an image is its plane shifted by
    /// (dy − 1)·W + (dx − 1), so it is one long copy (instead of one per image
    /// row: rows are only 8 to 32 floats), then zeros where the patch leaves
    /// the image: the top or bottom row and the left or right column.
    /// `rows` unfolds only those output rows of each image (a band that keeps
    /// the chunk in cache): column b·|rows|·W + (oy − rows.lowerBound)·W + ox.
    static func im2colStride1(source: UnsafePointer<Float>, layout: PlaneLayout, channels: Int,
                              imageCount: Int, height: Int, width: Int, rows: Range<Int>? = nil,
                              into col: UnsafeMutablePointer<Float>) {
        let band = rows ?? 0..<height
        let bandSize = band.count * width
        let rowLength = imageCount * bandSize
        let bandStart = band.lowerBound * width, bandEnd = band.upperBound * width
        for c in 0..<channels {
            for dy in 0..<3 {
                // Output rows first..<last of the band read inside the image.
                let first = max(dy == 0 ? 1 : 0, band.lowerBound), last = min(dy == 2 ? height - 1 : height, band.upperBound)
                for dx in 0..<3 {
                    let row = col + ((c * 3 + dy) * 3 + dx) * rowLength
                    let shift = (dy - 1) * width + (dx - 1)
                    let low = first * width + (dx == 0 ? 1 : 0), high = last * width - (dx == 2 ? 1 : 0)
                    for b in 0..<imageCount {
                        let src = source + c * layout.channelStride + b * layout.imageStride + shift
                        // Indexed by position in the image plane: dst[bandStart] is the band's first column.
                        let dst = row + b * bandSize - bandStart
                        guard last > first else {
                            (dst + bandStart).update(repeating: 0, count: bandSize)
                            continue
                        }
                        (dst + bandStart).update(repeating: 0, count: low - bandStart)
                        if high > low { copy(src + low, to: dst + low, count: high - low) }
                        (dst + high).update(repeating: 0, count: bandEnd - high)
                        if dx != 1 {
                            // Copied across the row boundary: the left (dx 0) or right (dx 2) column is padding.
                            let column = dx == 0 ? 0 : width - 1
                            for y in first..<last { dst[y * width + column] = 0 }
                        }
                    }
                }
            }
        }
    }

    /// dst[i] = src[i] in 8-float vectors. Not `update(from:)`: glibc's memmove
    /// takes `rep movsb` for these sizes, which on this AMD machine runs 2-6x
    /// slower than plain vector moves when source and destination are
    /// misaligned relative to each other (they are: shifts by one float).
    @inline(__always)
    static func copy(_ src: UnsafePointer<Float>, to dst: UnsafeMutablePointer<Float>, count: Int) {
        let source = UnsafeRawPointer(src), target = UnsafeMutableRawPointer(dst)
        var i = 0
        while i + 8 <= count {
            target.storeBytes(of: source.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self),
                              toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < count {
            dst[i] = src[i]
            i += 1
        }
    }

    /// C[M][N] (leading dimension ldc) += A[M][K] × B[K][N], row-major, single-threaded BLAS.
    @inline(__always)
    static func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, b: UnsafePointer<Float>,
                     c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k),
                    1, a, Int32(k), b, Int32(n), 1, c, Int32(ldc))
    }

    /// out[b][j] = bias[j] + Σ_c pooled[c][b] · W[j][c]: the classifier on a CNHW pooled batch.
    static func linear(pooled: UnsafePointer<Float>, channels: Int, batch: Int,
                       weight: UnsafePointer<Float>, bias: UnsafePointer<Float>, classes: Int,
                       into logits: UnsafeMutablePointer<Float>) {
        for b in 0..<batch { (logits + b * classes).update(from: bias, count: classes) }
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasTrans, Int32(batch), Int32(classes), Int32(channels),
                    1, pooled, Int32(batch), weight, Int32(channels), 1, logits, Int32(classes))
    }

    /// Global average pool of a CNHW activation into pooled[c][b].
    static func averagePool(_ source: UnsafePointer<Float>, channels: Int, batch: Int, planeSize: Int,
                            into pooled: UnsafeMutablePointer<Float>) {
        let scale = 1 / Float(planeSize)
        for c in 0..<channels {
            for b in 0..<batch {
                let plane = source + (c * batch + b) * planeSize
                var sum: Float = 0
                for i in 0..<planeSize { sum += plane[i] }
                pooled[c * batch + b] = sum * scale
            }
        }
    }

    /// BLAS must stay single-threaded: we parallelize over images ourselves,
    /// and nested BLAS threads would oversubscribe the cores.
    static func useSingleThreadedBLAS() {
        openblas_set_num_threads(1)
    }
}
