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
                            if stride == 1 {
                                copyShiftedRow(src, dst, width: width, shift: dx - 1)
                            } else {
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
    }

    /// dst[x] = src[x + shift] with zeros outside the row (shift ∈ {-1, 0, 1}).
    @inline(__always)
    private static func copyShiftedRow(_ src: UnsafePointer<Float>, _ dst: UnsafeMutablePointer<Float>,
                                       width: Int, shift: Int) {
        switch shift {
        case -1:
            dst[0] = 0
            (dst + 1).update(from: src, count: width - 1)
        case 0:
            dst.update(from: src, count: width)
        default:
            dst.update(from: src + 1, count: width - 1)
            dst[width - 1] = 0
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
