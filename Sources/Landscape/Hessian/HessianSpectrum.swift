import Foundation
import LandscapeEngine
import LandscapeCore

/// What one Hessian run measured for one model: plain data, written as JSON
/// through `LandscapeJSON` (snake_case: `top_eigenvalues`, `trace`,
/// `trace_stderr`, `density`, `samples`, `seed`, `timing`, …). The Ritz
/// vectors of the top eigenvalues go to a separate safetensors file named in
/// `topEigenvectors`.
public struct HessianSpectrum: Sendable, Codable, Equatable {
    public static let formatVersion = 1

    public struct Density: Sendable, Codable, Equatable {
        public var grid: [Double]
        public var density: [Double]
        /// Variance of the Gaussian on every quadrature node.
        public var variance: Double
        public var runs: [SpectralDensity.Quadrature]
        public var steps: Int
        public init(grid: [Double], density: [Double], variance: Double, runs: [SpectralDensity.Quadrature], steps: Int) {
            self.grid = grid; self.density = density; self.variance = variance; self.runs = runs; self.steps = steps
        }
    }

    public struct Timing: Sendable, Codable, Equatable {
        public var seconds: Double
        /// Hessian-vector products computed, and their mean time.
        public var products: Int
        public var secondsPerProduct: Double
        public var threads: Int
        /// What computed the products: "avx2" or "avx512" (the register kernels, the same bits as each other)
        /// or "portable" (im2col + BLAS; ≈ 5e-6 relative from the kernels' products). Absent in files written
        /// before it was recorded.
        public var kernel: String?
        public init(seconds: Double, products: Int, secondsPerProduct: Double, threads: Int, kernel: String? = nil) {
            self.seconds = seconds; self.products = products; self.secondsPerProduct = secondsPerProduct; self.threads = threads
            self.kernel = kernel
        }
    }

    public var formatVersion = HessianSpectrum.formatVersion
    public var model: Surface.ModelInfo
    public var dataset: Surface.DatasetInfo
    public var samples: Int
    public var seed: UInt64
    /// Mean cross-entropy at the weights (eval-mode BatchNorm) and ‖∇L‖ over the trainable tensors.
    public var loss: Double?
    public var gradientNorm: Double?
    public var parameterCount: Int
    /// Largest first; Ritz values of a Lanczos run with full reorthogonalization.
    public var topEigenvalues: [Double]
    /// ‖H x − θ x‖ of each, from the run (an eigenvalue's error is about residual²/gap).
    public var topResiduals: [Double]
    public var lanczosSteps: Int
    /// The smallest Ritz value of the same run and its residual: iterated to convergence (and its
    /// vector saved as `smallest.<name>`) only when the request asked for the most negative eigenvalue.
    public var smallestRitzValue: Double?
    public var smallestRitzResidual: Double?
    /// File name (beside the JSON) of the top eigenvectors: tensors `<name>` of eigenvector 0 and
    /// `eigenvector<i>.<name>` in general, shapes as in the model.
    public var topEigenvectors: String?
    public var trace: Double?
    public var traceStderr: Double?
    public var traceProbes: Int
    public var traceSamples: [Double]?
    public var density: Density?
    public var timing: Timing

    public init(model: Surface.ModelInfo, dataset: Surface.DatasetInfo, samples: Int, seed: UInt64, loss: Double? = nil,
                gradientNorm: Double? = nil, parameterCount: Int, topEigenvalues: [Double], topResiduals: [Double],
                lanczosSteps: Int, smallestRitzValue: Double? = nil, smallestRitzResidual: Double? = nil,
                topEigenvectors: String? = nil, trace: Double? = nil, traceStderr: Double? = nil, traceProbes: Int = 0,
                traceSamples: [Double]? = nil, density: Density? = nil, timing: Timing) {
        self.model = model; self.dataset = dataset; self.samples = samples; self.seed = seed; self.loss = loss
        self.gradientNorm = gradientNorm; self.parameterCount = parameterCount; self.topEigenvalues = topEigenvalues
        self.topResiduals = topResiduals; self.lanczosSteps = lanczosSteps; self.smallestRitzValue = smallestRitzValue
        self.smallestRitzResidual = smallestRitzResidual; self.topEigenvectors = topEigenvectors; self.trace = trace
        self.traceStderr = traceStderr; self.traceProbes = traceProbes; self.traceSamples = traceSamples
        self.density = density; self.timing = timing
    }
}

/// The options of one spectrum computation (`HessianSpec.Validated` makes them).
public struct SpectrumOptions: Sendable, Equatable {
    public var top: Int
    /// Iterate until the smallest (most negative) Ritz pair has converged too, and keep its vector.
    public var negative: Bool
    public var lanczosSteps: Int
    /// Stop when every top Ritz pair has ‖H x − θ x‖ ≤ tolerance·|θ_max|.
    public var tolerance: Double
    public var traceProbes: Int
    public var density: Bool
    public var densityRuns: Int
    public var densitySteps: Int
    public var densityBins: Int
    public var seed: UInt64

    /// Residual 1e-3·|θ_max| puts the top eigenvalues within about (1e-3·θ_max)²/gap of the
    /// truth: 1e-5 relative for the reference ResNet-20 (gaps ≥ 15).
    public static let defaultTolerance = 1e-3

    public init(top: Int, negative: Bool = false, lanczosSteps: Int, tolerance: Double = SpectrumOptions.defaultTolerance, traceProbes: Int,
                density: Bool, densityRuns: Int, densitySteps: Int, densityBins: Int = SpectralDensity.defaultBins,
                seed: UInt64) {
        self.top = top; self.negative = negative; self.lanczosSteps = lanczosSteps; self.tolerance = tolerance; self.traceProbes = traceProbes
        self.density = density; self.densityRuns = densityRuns; self.densitySteps = densitySteps
        self.densityBins = densityBins; self.seed = seed
    }

    /// Random streams of the seed: one per method, so adding probes never changes the eigenvalues.
    static let eigenStream: UInt64 = 1, traceStream: UInt64 = 2, densityStream: UInt64 = 3

    /// Hessian-vector products at most: the progress bar's total.
    public var maximumProducts: Int { (top > 0 || negative ? lanczosSteps : 0) + traceProbes + (density ? densityRuns * densitySteps : 0) }
}

/// Top eigenpairs, trace and density of one operator, with progress and cancellation.
public enum SpectrumComputation {
    public struct Result: Sendable {
        public var top: [Lanczos.RitzPair]
        public var lanczosSteps: Int
        public var smallest: Lanczos.RitzPair?
        public var trace: TraceEstimate?
        public var density: SpectralDensity?
    }

    /// `onProgress(done, total, what)` after every product, `what` as `SpectrumUnit.progress` names it ("Lanczos
    /// step 3 of 20", "trace probe 2 of 10", ...); throws `EngineError.cancelled` from the operator.
    /// The units one after another (`landscape hessian` under mpirun spreads the same units over ranks).
    public static func run(_ operator_: SymmetricOperator, _ options: SpectrumOptions,
                           onProgress: (Int, Int, String) -> Void = { _, _, _ in }) throws -> Result {
        let total = options.maximumProducts
        var done = 0
        var results: [SpectrumUnit: SpectrumUnitResult] = [:]
        for unit in units(options) {
            let base = done
            results[unit] = try evaluate(unit, operator_, options, onStep: { onProgress(base + $0, total, unit.progress(step: $0, options)) })
            done += maximumProducts(of: unit, options)
            if case let .eigenvalues(_, steps, _)? = results[unit] {
                onProgress(done, total, "Lanczos done after \(steps) steps")   // it may stop before its most steps
            }
        }
        return try assemble(results, options)
    }
}
