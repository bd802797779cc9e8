import Foundation
import LandscapeCore
import LandscapeEngine

/// The top principal components of a set of points (rows), as scikit-learn's
/// `PCA(n_components=2).fit(matrix)` computes them in Li et al.'s
/// `projection.setup_PCA_directions`: the rows are centred on their mean,
/// the components are unit vectors, and the explained-variance ratios are
/// each component's share of the total variance.
public struct PrincipalComponents: Sendable, Equatable {
    /// Unit vectors, largest variance first (length: the matrix's columns).
    public var components: [[Double]]
    /// Sum of squares of the centred rows along each component (σ², the eigenvalues of the centred Gram matrix).
    public var sumsOfSquares: [Double]
    /// Sum of squares of the centred rows (the trace): the ratios' denominator.
    public var totalSumOfSquares: Double
    /// The rows' count (for sklearn's `explained_variance_`, σ² / (n − 1)).
    public var sampleCount: Int

    public var explainedVarianceRatio: [Double] { sumsOfSquares.map { $0 / totalSumOfSquares } }
    public var explainedVariance: [Double] { sumsOfSquares.map { $0 / Double(max(sampleCount - 1, 1)) } }
    public var singularValues: [Double] { sumsOfSquares.map { $0.squareRoot() } }

    /// How the components are found; both in float64, used against each other in the tests.
    public enum Method: String, Sendable, Codable, CaseIterable {
        /// Eigendecomposition of the centred n × n Gram matrix (`dsyrk` + `dsyev`); a component
        /// is Xᵀu / σ. Cheap for few rows of many columns (100 snapshots of 270k weights).
        case gramEigen = "gram-eigen"
        /// Thin SVD of the centred data matrix itself (`dgesdd`): the textbook definition.
        case svd
    }

    /// A component whose share of the variance is below this is noise: the points do not span it.
    /// (Float32 weights carry relative rounding of 6e-8, so a real direction is far above 1e-10.)
    public static let minimumRatio = 1e-10

    /// The top `count` components of the rows of `matrix`. Signs follow scikit-learn's
    /// `svd_flip` as the reference used it: each component's coefficients over the rows
    /// (the left singular vector) have their largest-magnitude entry positive.
    public static func compute(_ matrix: Matrix64, count: Int = 2, method: Method = .gramEigen) throws -> PrincipalComponents {
        guard matrix.rows > count else {
            throw LandscapeError.invalidRequest("\(matrix.rows) points: expected at least \(count + 1) for \(count) principal components")
        }
        guard matrix.columns >= count else {
            throw LandscapeError.invalidRequest("\(matrix.columns) coordinates: expected at least \(count)")
        }
        let n = matrix.rows
        var components: [[Double]] = [], squares: [Double] = [], total = 0.0
        switch method {
        case .gramEigen:
            // Centring X (rows minus their mean) is centring G = XXᵀ on both sides: Gc = J G J, J = I − 11ᵀ/n.
            var g = LinearAlgebra.gram(matrix).values
            let rowMeans = (0..<n).map { i in (0..<n).reduce(0.0) { $0 + g[i * n + $1] } / Double(n) }
            let mean = rowMeans.reduce(0, +) / Double(n)
            for i in 0..<n { for j in 0..<n { g[i * n + j] += mean - rowMeans[i] - rowMeans[j] } }
            total = (0..<n).reduce(0.0) { $0 + g[$1 * n + $1] }
            let eigen = try LinearAlgebra.symmetricEigen(Matrix64(rows: n, columns: n, values: g))
            for k in 0..<count {
                let sigma2 = eigen.values[k]
                guard sigma2 > minimumRatio * total, total > 0 else { throw degenerate(k, n) }
                let u = flipped(eigen.vectors[k])
                // Gc·1 = 0, so u ⊥ 1 and Xcᵀu = Xᵀu: no centred copy of X is needed.
                components.append(LinearAlgebra.transposedProduct(matrix, u, scale: 1 / sigma2.squareRoot()))
                squares.append(sigma2)
            }
        case .svd:
            var centred = matrix
            let means = (0..<matrix.columns).map { j in (0..<n).reduce(0.0) { $0 + matrix[$1, j] } / Double(n) }
            for i in 0..<n { for j in 0..<matrix.columns { centred.values[i * matrix.columns + j] -= means[j] } }
            total = centred.values.reduce(0) { $0 + $1 * $1 }
            let svd = try LinearAlgebra.singularValueDecomposition(centred)
            for k in 0..<count {
                let sigma2 = svd.values[k] * svd.values[k]
                guard sigma2 > minimumRatio * total, total > 0 else { throw degenerate(k, n) }
                let sign = flipSign(svd.left[k])
                components.append(svd.right[k].map { $0 * sign })
                squares.append(sigma2)
            }
        }
        return PrincipalComponents(components: components, sumsOfSquares: squares, totalSumOfSquares: total, sampleCount: n)
    }

    /// Coordinates of each row of `matrix` along each component (dot products: the components are
    /// orthonormal, so this is the reference's `proj_method='cos'`). Not centred: the origin stays the origin.
    public func project(_ matrix: Matrix64) -> [[Double]] {
        let columns = components.map { LinearAlgebra.product(matrix, $0) }
        return (0..<matrix.rows).map { i in columns.map { $0[i] } }
    }

    private static func flipSign(_ u: [Double]) -> Double {
        guard let largest = u.indices.max(by: { abs(u[$0]) < abs(u[$1]) }) else { return 1 }
        return u[largest] < 0 ? -1 : 1
    }

    private static func flipped(_ u: [Double]) -> [Double] {
        let sign = flipSign(u)
        return sign < 0 ? u.map { -$0 } : u
    }

    private static func degenerate(_ k: Int, _ n: Int) -> LandscapeError {
        .invalidRequest("the \(n) points span fewer than \(k + 1) directions (principal component \(k + 1) has no variance): "
            + (k == 0 ? "expected points that are not all the same" : "expected points that do not all lie on one line"))
    }
}
