import Foundation
import LandscapeEngine

/// The Lanczos process with full reorthogonalization (Golub & Van Loan
/// §10.1; PyHessian's `density`, Ghorbani et al. 2019): from a unit start
/// vector q₁ it builds an orthonormal basis Q of the Krylov space and the
/// tridiagonal T = Qᵀ A Q, whose eigenpairs (Ritz pairs) approximate A's
/// extreme eigenpairs first. Every new vector is orthogonalized against the
/// whole basis twice ("twice is enough"), so no spurious copies of
/// converged eigenvalues appear; vectors are float64.
public struct Lanczos {
    /// One Ritz pair with its residual ‖A x − θ x‖ = β_m·|last component of y|.
    public struct RitzPair: Sendable {
        public let value: Double
        public let vector: [Double]
        public let residual: Double
    }

    public struct Run: Sendable {
        public let alphas: [Double]
        public let betas: [Double]      // betas[j] links basis vectors j and j + 1 (count = steps − 1, + the last β)
        public let basis: [[Double]]
        /// β after the last step: the residual scale of every Ritz pair.
        public let finalBeta: Double
        public var steps: Int { alphas.count }

        /// Eigen-decomposition of T.
        public func tridiagonal() throws -> SymmetricTridiagonal.Decomposition {
            try SymmetricTridiagonal.decompose(diagonal: alphas, offDiagonal: Array(betas.prefix(alphas.count - 1)))
        }

        /// The `count` largest (descending) or smallest (ascending) Ritz pairs with their vectors Q·y.
        public func ritzPairs(largest count: Int, fromTop: Bool = true) throws -> [RitzPair] {
            let decomposition = try tridiagonal()
            let order = fromTop ? Array(decomposition.values.indices.reversed()) : Array(decomposition.values.indices)
            return order.prefix(count).map { j in
                let y = decomposition.vectors[j]
                var x = [Double](repeating: 0, count: basis[0].count)
                for (i, q) in basis.enumerated() { VectorMath.axpy(y[i], q, &x) }
                return RitzPair(value: decomposition.values[j], vector: x, residual: finalBeta * abs(y[y.count - 1]))
            }
        }
    }

    /// Runs at most `steps` steps from `start` (normalized here). After each step, `converged`
    /// sees the current tridiagonal's decomposition and the current β and may stop the run;
    /// `onStep` is called after each product.
    public static func run(_ operator_: SymmetricOperator, start: [Double], steps: Int,
                           converged: (SymmetricTridiagonal.Decomposition, Double) -> Bool = { _, _ in false },
                           onStep: (Int) -> Void = { _ in }) throws -> Run {
        let n = operator_.dimension
        precondition(start.count == n && steps >= 1)
        let startNorm = VectorMath.norm(start)
        guard startNorm > 0, startNorm.isFinite else {
            throw LandscapeError.invalidRequest("Lanczos: start vector of norm \(startNorm): expected a finite non-zero vector")
        }
        var basis = [VectorMath.scaled(start, 1 / startNorm)]
        var alphas: [Double] = [], betas: [Double] = []
        var beta = 0.0
        for step in 0..<min(steps, n) {
            var w = try operator_.apply(basis[step])
            let alpha = VectorMath.dot(basis[step], w)
            alphas.append(alpha)
            VectorMath.axpy(-alpha, basis[step], &w)
            if step > 0 { VectorMath.axpy(-betas[step - 1], basis[step - 1], &w) }
            for _ in 0..<2 {
                for q in basis { VectorMath.axpy(-VectorMath.dot(q, w), q, &w) }
            }
            beta = VectorMath.norm(w)
            onStep(step + 1)
            // An invariant subspace (β ≈ 0 relative to the spectrum seen) ends the process: T is exact there.
            let scale = alphas.map(abs).max() ?? 0
            if beta <= 1e-12 * max(scale, 1e-300) || step + 1 == min(steps, n) { break }
            let decomposition = try SymmetricTridiagonal.decompose(diagonal: alphas, offDiagonal: betas)
            if converged(decomposition, beta) { break }
            betas.append(beta)
            basis.append(VectorMath.scaled(w, 1 / beta))
        }
        return Run(alphas: alphas, betas: betas, basis: Array(basis.prefix(alphas.count)), finalBeta: beta)
    }

    /// Residual test for the `top` largest (and, with `bottom`, the `bottom` smallest) Ritz values:
    /// β·|yₘ| ≤ tolerance·max |θ|. An eigenvalue's error is at most about residual²/gap.
    public static func residualsBelow(_ tolerance: Double, top: Int, bottom: Int = 0)
        -> (SymmetricTridiagonal.Decomposition, Double) -> Bool {
        { decomposition, beta in
            let values = decomposition.values
            guard values.count >= top + bottom else { return false }
            let scale = values.map(abs).max() ?? 0
            let indices = Array(values.indices.suffix(top)) + Array(values.indices.prefix(bottom))
            return indices.allSatisfy { j in
                let y = decomposition.vectors[j]
                return beta * abs(y[y.count - 1]) <= tolerance * scale
            }
        }
    }
}
