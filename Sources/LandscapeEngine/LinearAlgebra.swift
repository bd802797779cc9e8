import COpenBLAS

/// A dense row-major float64 matrix: `values[row * columns + column]`.
public struct Matrix64: Sendable, Equatable {
    public let rows: Int
    public let columns: Int
    public var values: [Double]

    public init(rows: Int, columns: Int, values: [Double]) {
        precondition(rows >= 0 && columns >= 0 && values.count == rows * columns, "Matrix64: \(values.count) values for \(rows)x\(columns)")
        self.rows = rows; self.columns = columns; self.values = values
    }

    public init(rows: [[Double]]) {
        let columns = rows.first?.count ?? 0
        self.init(rows: rows.count, columns: columns, values: rows.flatMap { $0 })
    }

    public subscript(row: Int, column: Int) -> Double { values[row * columns + column] }
    public func row(_ index: Int) -> ArraySlice<Double> { values[(index * columns)..<((index + 1) * columns)] }
}

/// The float64 linear algebra the PCA of a training path needs, through
/// OpenBLAS's BLAS and the LAPACK it ships: a Gram matrix (`dsyrk`), the
/// symmetric eigendecomposition (`dsyev`), the thin SVD (`dgesdd`, the
/// independent check) and Xᵀv (`dgemv`). Only the engine knows BLAS; the
/// landscape layer calls these.
public enum LinearAlgebra {
    /// G = X·Xᵀ (rows × rows), both triangles filled.
    public static func gram(_ x: Matrix64) -> Matrix64 {
        let n = x.rows
        var g = [Double](repeating: 0, count: n * n)
        guard n > 0, x.columns > 0 else { return Matrix64(rows: n, columns: n, values: g) }
        x.values.withUnsafeBufferPointer { a in
            g.withUnsafeMutableBufferPointer { c in
                cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(n), Int32(x.columns), 1,
                            a.baseAddress, Int32(x.columns), 0, c.baseAddress, Int32(n))
            }
        }
        for i in 0..<n { for j in 0..<i { g[i * n + j] = g[j * n + i] } }
        return Matrix64(rows: n, columns: n, values: g)
    }

    /// Eigenvalues of the symmetric matrix `a`, largest first, with their unit
    /// eigenvectors (`vectors[k]` belongs to `values[k]`; the sign is LAPACK's).
    public static func symmetricEigen(_ a: Matrix64) throws -> (values: [Double], vectors: [[Double]]) {
        guard a.rows == a.columns, a.rows >= 1 else {
            throw EngineError.invalidInput("symmetric eigendecomposition of a \(a.rows)x\(a.columns) matrix: expected a square, non-empty one")
        }
        guard a.rows <= Int(Int32.max) / a.rows else { throw EngineError.invalidInput("matrix of \(a.rows) rows is too large for LAPACK") }
        var n = Int32(a.rows), lda = n, info: Int32 = 0
        var matrix = a.values   // symmetric: row-major and column-major are the same
        var w = [Double](repeating: 0, count: a.rows)
        var query = 0.0, lwork: Int32 = -1
        dsyev_("V", "U", &n, &matrix, &lda, &w, &query, &lwork, &info, 1, 1)
        guard info == 0 else { throw lapackFailure("dsyev (workspace query)", info) }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: Int(lwork))
        dsyev_("V", "U", &n, &matrix, &lda, &w, &work, &lwork, &info, 1, 1)
        guard info == 0 else { throw lapackFailure("dsyev", info) }
        let count = a.rows
        // Ascending from LAPACK, column j (contiguous in column-major) is vector j.
        let order = (0..<count).reversed()
        return (order.map { w[$0] }, order.map { Array(matrix[($0 * count)..<(($0 + 1) * count)]) })
    }

    /// The thin SVD X = U·diag(s)·Vᵀ of a row-major rows × columns matrix:
    /// singular values largest first, `left[k]` (length rows) and `right[k]`
    /// (length columns) the k-th singular vectors (signs LAPACK's).
    public static func singularValueDecomposition(_ x: Matrix64) throws
        -> (values: [Double], left: [[Double]], right: [[Double]]) {
        guard x.rows >= 1, x.columns >= 1 else {
            throw EngineError.invalidInput("SVD of a \(x.rows)x\(x.columns) matrix: expected a non-empty one")
        }
        guard x.columns <= Int(Int32.max) / x.rows else { throw EngineError.invalidInput("matrix too large for LAPACK") }
        // The row-major rows × columns buffer is the column-major columns × rows matrix Xᵀ = V·S·Uᵀ:
        // LAPACK's U (columns × k) holds our right vectors, its Vᵀ (k × rows) our left ones.
        var m = Int32(x.columns), n = Int32(x.rows)
        let k = min(x.columns, x.rows)
        var a = x.values
        var lda = m, ldu = m, ldvt = Int32(k), info: Int32 = 0
        var s = [Double](repeating: 0, count: k)
        var u = [Double](repeating: 0, count: x.columns * k)
        var vt = [Double](repeating: 0, count: k * x.rows)
        var iwork = [Int32](repeating: 0, count: 8 * k)
        var query = 0.0, lwork: Int32 = -1
        dgesdd_("S", &m, &n, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &query, &lwork, &iwork, &info, 1)
        guard info == 0 else { throw lapackFailure("dgesdd (workspace query)", info) }
        lwork = Int32(query)
        var work = [Double](repeating: 0, count: Int(lwork))
        dgesdd_("S", &m, &n, &a, &lda, &s, &u, &ldu, &vt, &ldvt, &work, &lwork, &iwork, &info, 1)
        guard info == 0 else { throw lapackFailure("dgesdd", info) }
        let right = (0..<k).map { Array(u[($0 * x.columns)..<(($0 + 1) * x.columns)]) }
        let left = (0..<k).map { i in (0..<x.rows).map { j in vt[i + j * k] } }
        return (s, left, right)
    }

    /// Xᵀ·v · scale (length columns) for a row-major X and v of length rows.
    public static func transposedProduct(_ x: Matrix64, _ v: [Double], scale: Double = 1) -> [Double] {
        precondition(v.count == x.rows, "transposedProduct: \(v.count) entries for \(x.rows) rows")
        var out = [Double](repeating: 0, count: x.columns)
        guard x.rows > 0, x.columns > 0 else { return out }
        x.values.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { y in
                cblas_dgemv(CblasRowMajor, CblasTrans, Int32(x.rows), Int32(x.columns), scale, a.baseAddress,
                            Int32(x.columns), v, 1, 0, y.baseAddress, 1)
            }
        }
        return out
    }

    /// X·v (length rows) for a row-major X and v of length columns.
    public static func product(_ x: Matrix64, _ v: [Double]) -> [Double] {
        precondition(v.count == x.columns, "product: \(v.count) entries for \(x.columns) columns")
        var out = [Double](repeating: 0, count: x.rows)
        guard x.rows > 0, x.columns > 0 else { return out }
        x.values.withUnsafeBufferPointer { a in
            out.withUnsafeMutableBufferPointer { y in
                cblas_dgemv(CblasRowMajor, CblasNoTrans, Int32(x.rows), Int32(x.columns), 1, a.baseAddress,
                            Int32(x.columns), v, 1, 0, y.baseAddress, 1)
            }
        }
        return out
    }

    private static func lapackFailure(_ routine: String, _ info: Int32) -> EngineError {
        .invalidInput(info < 0 ? "LAPACK \(routine): argument \(-info) is invalid"
                               : "LAPACK \(routine) did not converge (info \(info))")
    }
}
