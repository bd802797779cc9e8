import COpenBLAS

/// The general row-major GEMM the backward pass needs (transposes, beta),
/// beside the forward pass's fixed `ConvolutionKernels.gemm`.
enum TrainingBLAS {
    /// C[m][n] = op(A)[m][k] × op(B)[k][n] + beta·C, row-major, single-threaded BLAS.
    /// `lda`, `ldb`, `ldc` are the row lengths of A, B, C as stored (before op).
    @inline(__always)
    static func gemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                     a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                     beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int) {
        cblas_sgemm(CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), 1, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }
}
