import COpenBLAS

/// Winograd F(2×2, 3×3) for the stride-1 3×3 convolutions (Lavin & Gray,
/// "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2
/// output tile comes from a 4×4 input tile with 16 multiplies per
/// (input, output) channel pair instead of 36, so the GEMM work drops 2.25×.
///
///   V = Bᵀ d B (input tile),  U = G g Gᵀ (filter),  Y = Aᵀ [U ⊙ V] A,
///   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
///   G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],   Aᵀ = [1 1 1 0; 0 1 −1 −1].
///
/// The element-wise products over channels become 16 GEMMs
/// M[ξ][O][T] = U[ξ][O][C] × V[ξ][C][T], T the tiles of a chunk of images.
enum WinogradKernels {
    /// U[ξ][o][c] for a [O][C][3][3] filter bank, computed in float64.
    /// Every `InferenceNetwork` (one per landscape point) runs this over all
    /// stride-1 filters, so it works in a fixed scratch buffer, not per-pair arrays.
    static func transformFilters(_ weight: [Float], outChannels: Int, inChannels: Int) -> [Float] {
        var u = [Float](repeating: 0, count: 16 * outChannels * inChannels)
        // G as (row i, column t) = g[i * 3 + t].
        let g: (Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double, Double) =
            (1, 0, 0, 0.5, 0.5, 0.5, 0.5, -0.5, 0.5, 0, 0, 1)
        withUnsafeBytes(of: g) { gBytes in
            let g = gBytes.bindMemory(to: Double.self)
            weight.withUnsafeBufferPointer { w in
                u.withUnsafeMutableBufferPointer { u in
                    withUnsafeTemporaryAllocation(of: Double.self, capacity: 12) { gk in   // G · k  (4×3)
                        for o in 0..<outChannels {
                            for c in 0..<inChannels {
                                let base = (o * inChannels + c) * 9
                                for i in 0..<4 {
                                    for j in 0..<3 {
                                        var sum = 0.0
                                        for t in 0..<3 { sum += g[i * 3 + t] * Double(w[base + t * 3 + j]) }
                                        gk[i * 3 + j] = sum
                                    }
                                }
                                for i in 0..<4 {
                                    for j in 0..<4 {   // (G k) Gᵀ
                                        var value = 0.0
                                        for t in 0..<3 { value += gk[i * 3 + t] * g[j * 3 + t] }
                                        u[((i * 4 + j) * outChannels + o) * inChannels + c] = Float(value)
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        return u
    }

    /// Number of 2×2 tiles covering an H×W plane (odd sizes: the last row/column of tiles is half used).
    static func tiles(height: Int, width: Int) -> (rows: Int, columns: Int) { ((height + 1) / 2, (width + 1) / 2) }

    /// V[ξ][c][t] for `imageCount` images; t = image·tilesPerImage + tileRow·tileColumns + tileColumn.
    /// Works a row of tiles at a time so every inner loop runs over contiguous tile columns.
    static func transformInput(source: UnsafePointer<Float>, layout: ConvolutionKernels.PlaneLayout, channels: Int,
                               imageCount: Int, height: Int, width: Int, into v: UnsafeMutablePointer<Float>) {
        let (tileRows, tileColumns) = tiles(height: height, width: width)
        let tilesPerImage = tileRows * tileColumns
        let tileCount = imageCount * tilesPerImage
        let xiStride = channels * tileCount
        let paddedWidth = 2 * tileColumns + 2
        // padded: one input row with a zero column on the left and zeros past the right edge.
        // e[i][j][tx]: column transform (d B) of input row i of the tile row.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: paddedWidth + 16 * tileColumns)
        defer { scratch.deallocate() }
        let padded = scratch, e = scratch + paddedWidth
        padded.update(repeating: 0, count: paddedWidth)
        for c in 0..<channels {
            for b in 0..<imageCount {
                let plane = source + c * layout.channelStride + b * layout.imageStride
                for ty in 0..<tileRows {
                    for i in 0..<4 {
                        let y = 2 * ty - 1 + i
                        let row = e + i * 4 * tileColumns
                        guard y >= 0 && y < height else {
                            row.update(repeating: 0, count: 4 * tileColumns)
                            continue
                        }
                        (padded + 1).update(from: plane + y * width, count: width)
                        let e0 = row, e1 = row + tileColumns, e2 = row + 2 * tileColumns, e3 = row + 3 * tileColumns
                        for tx in 0..<tileColumns {
                            let p = padded + 2 * tx
                            e0[tx] = p[0] - p[2]
                            e1[tx] = p[1] + p[2]
                            e2[tx] = p[2] - p[1]
                            e3[tx] = p[1] - p[3]
                        }
                    }
                    let base = v + c * tileCount + b * tilesPerImage + ty * tileColumns
                    for j in 0..<4 {
                        let r0 = e + j * tileColumns, r1 = r0 + 4 * tileColumns
                        let r2 = r1 + 4 * tileColumns, r3 = r2 + 4 * tileColumns
                        let o0 = base + j * xiStride, o1 = base + (4 + j) * xiStride
                        let o2 = base + (8 + j) * xiStride, o3 = base + (12 + j) * xiStride
                        for tx in 0..<tileColumns {
                            o0[tx] = r0[tx] - r2[tx]
                            o1[tx] = r1[tx] + r2[tx]
                            o2[tx] = r2[tx] - r1[tx]
                            o3[tx] = r1[tx] - r3[tx]
                        }
                    }
                }
            }
        }
    }

    /// M[ξ] = U[ξ] × V[ξ] for the 16 ξ.
    static func multiply(u: UnsafePointer<Float>, v: UnsafePointer<Float>, m: UnsafeMutablePointer<Float>,
                         outChannels: Int, inChannels: Int, tileCount: Int) {
        for xi in 0..<16 {
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(outChannels), Int32(tileCount), Int32(inChannels),
                        1, u + xi * outChannels * inChannels, Int32(inChannels),
                        v + xi * inChannels * tileCount, Int32(tileCount),
                        0, m + xi * outChannels * tileCount, Int32(tileCount))
        }
    }

    /// Y = Aᵀ M A per tile, added onto the CNHW output rows (already holding bias + shortcut).
    static func transformOutput(m: UnsafePointer<Float>, outChannels: Int, imageCount: Int, height: Int, width: Int,
                                output: UnsafeMutablePointer<Float>, rowStride: Int) {
        let (tileRows, tileColumns) = tiles(height: height, width: width)
        let tilesPerImage = tileRows * tileColumns
        let tileCount = imageCount * tilesPerImage
        let xiStride = outChannels * tileCount
        // Two output rows of 2·tileColumns values each, written back clipped to the plane.
        let scratch = UnsafeMutablePointer<Float>.allocate(capacity: 4 * tileColumns)
        defer { scratch.deallocate() }
        let top = scratch, bottom = scratch + 2 * tileColumns
        for o in 0..<outChannels {
            let row = output + o * rowStride
            for b in 0..<imageCount {
                let plane = row + b * height * width
                for ty in 0..<tileRows {
                    let src = m + o * tileCount + b * tilesPerImage + ty * tileColumns
                    @inline(__always) func stream(_ i: Int, _ j: Int) -> UnsafePointer<Float> { src + (i * 4 + j) * xiStride }
                    let m00 = stream(0, 0), m01 = stream(0, 1), m02 = stream(0, 2), m03 = stream(0, 3)
                    let m10 = stream(1, 0), m11 = stream(1, 1), m12 = stream(1, 2), m13 = stream(1, 3)
                    let m20 = stream(2, 0), m21 = stream(2, 1), m22 = stream(2, 2), m23 = stream(2, 3)
                    let m30 = stream(3, 0), m31 = stream(3, 1), m32 = stream(3, 2), m33 = stream(3, 3)
                    for tx in 0..<tileColumns {
                        // Aᵀ M: c = rows 0+1+2, d = rows 1−2−3; then · A over columns.
                        let c0 = m00[tx] + m10[tx] + m20[tx], c1 = m01[tx] + m11[tx] + m21[tx]
                        let c2 = m02[tx] + m12[tx] + m22[tx], c3 = m03[tx] + m13[tx] + m23[tx]
                        let d0 = m10[tx] - m20[tx] - m30[tx], d1 = m11[tx] - m21[tx] - m31[tx]
                        let d2 = m12[tx] - m22[tx] - m32[tx], d3 = m13[tx] - m23[tx] - m33[tx]
                        top[2 * tx] = c0 + c1 + c2
                        top[2 * tx + 1] = c1 - c2 - c3
                        bottom[2 * tx] = d0 + d1 + d2
                        bottom[2 * tx + 1] = d1 - d2 - d3
                    }
                    let y = 2 * ty
                    let out0 = plane + y * width
                    for x in 0..<width { out0[x] += top[x] }
                    if y + 1 < height {
                        let out1 = out0 + width
                        for x in 0..<width { out1[x] += bottom[x] }
                    }
                }
            }
        }
    }
}
