/// Winograd F(2×2, 3×3) for the stride-1 3×3 convolutions (Lavin & Gray,
/// "Fast Algorithms for Convolutional Neural Networks", 2016): each 2×2
/// output tile comes from a 4×4 input tile with 16 multiplies per
/// (input, output) channel pair instead of 36, so the GEMM work drops 2.25×.
///
///   V = Bᵀ d B (input tile),  U = G g Gᵀ (filter),  Y = Aᵀ [U ⊙ V] A,
///   Bᵀ = [1 0 −1 0; 0 1 1 0; 0 −1 1 0; 0 1 0 −1],
///   G  = [1 0 0; ½ ½ ½; ½ −½ ½; 0 0 1],   Aᵀ = [1 1 1 0; 0 1 −1 −1].
///
/// The input and output transforms and the 16 products over channels run in
/// CDirectConvolution (AVX2); the filter transform is here, in float64.
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
}
