import COpenBLAS

/// Eigenvalues and eigenvectors of a real symmetric tridiagonal matrix in
/// float64, by LAPACK's `dstev` (implicit QL/QR, from OpenBLAS): what Lanczos
/// and stochastic Lanczos quadrature need of the tridiagonal they build.
/// Here because only the engine links BLAS/LAPACK.
public enum SymmetricTridiagonal {
    public struct Decomposition: Sendable, Equatable {
        /// Ascending.
        public let values: [Double]
        /// vectors[j] is the unit eigenvector of values[j].
        public let vectors: [[Double]]
    }

    /// `diagonal` (n values) and `offDiagonal` (n − 1 values) of T.
    public static func decompose(diagonal: [Double], offDiagonal: [Double]) throws -> Decomposition {
        let n = diagonal.count
        guard n >= 1 else { throw EngineError.invalidInput("tridiagonal matrix of size 0: expected at least 1") }
        guard offDiagonal.count == n - 1 else {
            throw EngineError.invalidInput("tridiagonal matrix: \(offDiagonal.count) off-diagonal values for size \(n), expected \(n - 1)")
        }
        guard (diagonal + offDiagonal).allSatisfy(\.isFinite) else {
            throw EngineError.invalidInput("tridiagonal matrix with non-finite entries: expected finite numbers")
        }
        var d = diagonal
        var e = offDiagonal + [0]
        var z = [Double](repeating: 0, count: n * n)
        var work = [Double](repeating: 0, count: max(1, 2 * n - 2))
        var size = Int32(n), ldz = Int32(n), info: Int32 = 0
        "V".withCString { jobz in
            dstev_(jobz, &size, &d, &e, &z, &ldz, &work, &info, 1)
        }
        guard info == 0 else {
            throw EngineError.invalidInput("dstev failed (info \(info)): the QL iteration did not converge")
        }
        // Column-major: component i of eigenvector j at z[i + j·n].
        let vectors = (0..<n).map { j in Array(z[(j * n)..<((j + 1) * n)]) }
        return Decomposition(values: d, vectors: vectors)
    }
}
