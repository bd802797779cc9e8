import Foundation
import LandscapeEngine
import LandscapeCore

/// The eigenvalue density of a symmetric operator by stochastic Lanczos
/// quadrature (Lin, Saad & Yang 2016; Ghorbani et al. 2019; PyHessian's
/// `density` and `density_generate`): each run starts Lanczos from a unit
/// Rademacher vector q; the Ritz values θₖ of its tridiagonal with weights
/// τₖ = (first component of the k-th eigenvector)² are the Gauss quadrature
/// nodes of qᵀ f(A) q ≈ Σ τₖ f(θₖ) (exact for polynomials of degree < 2·steps).
/// The density is Σ τₖ N(λ; θₖ, σ²) averaged over runs, on a grid, normalized
/// to integrate to 1 over it.
public struct SpectralDensity: Sendable, Codable, Equatable {
    /// One run's quadrature nodes (ascending) and weights (summing to 1).
    public struct Quadrature: Sendable, Codable, Equatable {
        public let nodes: [Double]
        public let weights: [Double]
    }

    public let runs: [Quadrature]
    public let grid: [Double]
    public let density: [Double]
    /// The variance of the Gaussian put on every node.
    public let variance: Double

    /// PyHessian's defaults: 10,000 grid points, σ² = 1e-5 · max(1, λmax − λmin), the grid
    /// reaching 0.01 beyond the mean extreme nodes.
    public static let defaultBins = 10_000
    public static let defaultRelativeVariance = 1e-5
    public static let gridOverhang = 0.01

    /// Lanczos runs of `steps` steps from Rademacher vectors drawn from `generator`.
    public static func estimate(_ operator_: SymmetricOperator, runs: Int, steps: Int, generator: inout SeededGenerator,
                                bins: Int = defaultBins, relativeVariance: Double = defaultRelativeVariance,
                                onStep: (Int) -> Void = { _ in }) throws -> SpectralDensity {
        precondition(runs >= 1 && steps >= 1 && bins >= 2)
        var quadratures: [Quadrature] = []
        var done = 0
        for _ in 0..<runs {
            let start = VectorMath.rademacher(operator_.dimension, &generator)
            let run = try Lanczos.run(operator_, start: start, steps: steps, onStep: { _ in
                done += 1
                onStep(done)
            })
            let decomposition = try run.tridiagonal()
            quadratures.append(Quadrature(nodes: decomposition.values, weights: decomposition.vectors.map { $0[0] * $0[0] }))
        }
        return SpectralDensity(runs: quadratures, bins: bins, relativeVariance: relativeVariance)
    }

    /// The Gaussian-broadened density of given quadratures on PyHessian's grid.
    public init(runs: [Quadrature], bins: Int = defaultBins, relativeVariance: Double = defaultRelativeVariance) {
        self.runs = runs
        let count = Double(runs.count)
        let upper = runs.reduce(0) { $0 + ($1.nodes.max() ?? 0) } / count + Self.gridOverhang
        let lower = runs.reduce(0) { $0 + ($1.nodes.min() ?? 0) } / count - Self.gridOverhang
        let spacing = (upper - lower) / Double(bins - 1)
        grid = (0..<bins).map { lower + Double($0) * spacing }
        variance = relativeVariance * max(1, upper - lower)
        let normalizer = 1 / (2 * Double.pi * variance).squareRoot()
        var values = [Double](repeating: 0, count: bins)
        for run in runs {
            for (node, weight) in zip(run.nodes, run.weights) where weight > 0 {
                // Only grid points within 12 σ contribute more than e^−72.
                let reach = 12 * variance.squareRoot()
                let first = max(0, Int(((node - reach - lower) / spacing).rounded(.down)))
                let last = min(bins - 1, Int(((node + reach - lower) / spacing).rounded(.up)))
                guard first <= last else { continue }
                for j in first...last {
                    let d = grid[j] - node
                    values[j] += weight * normalizer * exp(-d * d / (2 * variance)) / count
                }
            }
        }
        let integral = values.reduce(0, +) * spacing
        density = integral > 0 ? values.map { $0 / integral } : values
    }
}
