import Foundation
import LandscapeEngine
import LandscapeIO

/// The caps that keep one Hessian request from taking the machine (a
/// Hessian-vector product costs about ten forward passes per image).
public struct HessianLimits: Sendable, Codable, Equatable {
    public var maximumModels = 6
    /// Images per product (the whole Fashion-MNIST test split).
    public var maximumSamples = 10_000
    public var maximumLanczosSteps = 500
    public var maximumTraceProbes = 2_000
    public var maximumDensityRuns = 20
    /// Hessian-vector products per model, all methods together: 1,000 products on 1,000
    /// images is hours on two cores.
    public var maximumProducts = 1_000
    public init() {}
}

/// One request for Hessian spectra of trained models (issue 16): top
/// eigenvalues and eigenvectors by Lanczos, Hutchinson's trace, the
/// spectral density by stochastic Lanczos quadrature — on the same images
/// for every model. Built like `SurfaceSpec`: typed fields with defaults,
/// one `validated(limits:)` that names the field, `fields(limits:)` for the
/// OpenAPI document and the page; the CLI builds it from its flags.
public struct HessianSpec: Sendable, Equatable {
    public var models: [String]
    public var dataset: String?
    public var split: DatasetSplit?
    public var samples: Int?
    public var subset: SubsetRule = .first
    public var subsetSeed: UInt64 = 0
    /// Top eigenvalues (with eigenvectors); 0 skips Lanczos.
    public var top = 5
    /// Also the most negative eigenvalue (with its eigenvector), iterated to convergence.
    public var negative = false
    /// Most Lanczos steps for the top eigenvalues (the run stops once they have converged).
    public var lanczosSteps = 100
    /// Rademacher probes of Hutchinson's trace; 0 skips it.
    public var traceProbes = 0
    public var density = false
    /// PyHessian's `density(iter=100, n_v=1)`.
    public var densityRuns = 1
    public var densitySteps = 100
    /// Seed of the Lanczos start vector, the trace probes and the density probes.
    public var seed: UInt64 = 0

    public init(models: [String]) { self.models = models }

    /// Images per product when a request does not say: the shipped spectra use 1,000 (issue 16).
    public static let defaultSamples = EvaluationSetRequest.defaultSurfaceSamples

    public struct Validated: Sendable {
        public var samples: Int
        public var samplesAtMost: Bool
        public var options: SpectrumOptions
    }

    public func validated(limits: HessianLimits) throws -> Validated {
        guard !models.isEmpty else { throw SpecError("models", "expected at least one model") }
        guard models.count <= limits.maximumModels else {
            throw SpecError("models", "at most \(limits.maximumModels) per request, got \(models.count)")
        }
        guard Set(models).count == models.count else { throw SpecError("models", "the same model is listed twice") }
        let samples = self.samples ?? Self.defaultSamples
        guard (1...limits.maximumSamples).contains(samples) else {
            let range = limits.maximumSamples == .max ? "at least 1" : "1...\(limits.maximumSamples)"
            throw SpecError("samples", "expected \(range), got \(samples)")
        }
        guard top >= 0 else { throw SpecError("top", "expected 0 or more eigenvalues, got \(top)") }
        guard (1...limits.maximumLanczosSteps).contains(lanczosSteps) else {
            throw SpecError("lanczos_steps", "expected 1...\(limits.maximumLanczosSteps), got \(lanczosSteps)")
        }
        guard top <= lanczosSteps else {
            throw SpecError("top", "\(top) eigenvalues need at least as many Lanczos steps; lanczos_steps is \(lanczosSteps)")
        }
        guard (0...limits.maximumTraceProbes).contains(traceProbes) else {
            throw SpecError("trace_probes", "expected 0...\(limits.maximumTraceProbes), got \(traceProbes)")
        }
        if density {
            guard (1...limits.maximumDensityRuns).contains(densityRuns) else {
                throw SpecError("density_runs", "expected 1...\(limits.maximumDensityRuns), got \(densityRuns)")
            }
            guard (2...limits.maximumLanczosSteps).contains(densitySteps) else {
                throw SpecError("density_steps", "expected 2...\(limits.maximumLanczosSteps), got \(densitySteps)")
            }
        }
        guard top > 0 || negative || traceProbes > 0 || density else {
            throw SpecError("top, negative, trace_probes, density",
                            "nothing to compute: ask for top eigenvalues, the most negative one, trace probes or the density")
        }
        let options = SpectrumOptions(top: top, negative: negative, lanczosSteps: lanczosSteps, traceProbes: traceProbes, density: density,
                                      densityRuns: density ? densityRuns : 0, densitySteps: density ? densitySteps : 0,
                                      seed: seed)
        guard options.maximumProducts <= limits.maximumProducts else {
            throw SpecError("lanczos_steps, trace_probes, density_runs, density_steps",
                            "up to \(options.maximumProducts) Hessian-vector products per model: expected at most \(limits.maximumProducts)")
        }
        return Validated(samples: samples, samplesAtMost: self.samples == nil, options: options)
    }

    /// The second check, once a model is loaded and before any product: k eigenvectors of a
    /// Hessian need k ≤ its dimension (the model's trainable parameter count).
    public static func check(top: Int, parameterCount: Int, model: String) throws {
        guard top <= parameterCount else {
            throw SpecError("top", "\(top) eigenvalues of model \(model), which has \(parameterCount) trainable parameters: "
                            + "expected at most \(parameterCount)")
        }
    }

    /// The evaluation images this spec asks for, from the dataset at `path`.
    public func evaluationSet(path: String, _ validated: Validated) -> EvaluationSetRequest {
        EvaluationSetRequest(path: path, split: split, samples: validated.samples, samplesAtMost: validated.samplesAtMost,
                             subset: subset, subsetSeed: subsetSeed)
    }

    /// Every field with its type, default and limits (for the OpenAPI document and the page).
    public static func fields(limits: HessianLimits) -> [SpecField] {
        let defaults = HessianSpec(models: [])
        func field(_ name: String, _ type: String, _ description: String, _ defaultValue: String?,
                   allowed: [String]? = nil, minimum: Int? = nil, maximum: Int? = nil, required: Bool = false) -> SpecField {
            SpecField(name: name, type: type, description: description, defaultValue: defaultValue, allowed: allowed,
                      minimum: minimum, maximum: maximum, required: required)
        }
        return [
            field("models", "array", "model ids; one spectrum each, on the same images", nil,
                  minimum: 1, maximum: limits.maximumModels, required: true),
            field("dataset", "string", "dataset id", SurfaceSpec.defaultDataset),
            field("split", "string", "split of a dataset directory (a single file is used as it is)", DatasetSplit.test.rawValue,
                  allowed: DatasetSplit.allCases.map(\.rawValue)),
            field("samples", "integer", "images in the loss whose Hessian is taken (default \(defaultSamples), or all of a smaller split)",
                  String(defaultSamples), minimum: 1, maximum: limits.maximumSamples),
            field("subset", "string", "which images: first (file order), random or balanced (seeded)", defaults.subset.rawValue,
                  allowed: SubsetRule.allCases.map(\.rawValue)),
            field("subset_seed", "integer", "seed of the random and balanced subsets", String(defaults.subsetSeed), minimum: 0),
            field("top", "integer", "top eigenvalues (Lanczos, with eigenvectors); at most the parameter count", String(defaults.top),
                  minimum: 0, maximum: limits.maximumLanczosSteps),
            field("negative", "boolean", "also the most negative eigenvalue, iterated to convergence (with its eigenvector)",
                  String(defaults.negative)),
            field("lanczos_steps", "integer", "most Lanczos steps for the top eigenvalues (stops once converged); >= top",
                  String(defaults.lanczosSteps), minimum: 1, maximum: limits.maximumLanczosSteps),
            field("trace_probes", "integer", "Rademacher probes of Hutchinson's trace (0: no trace)", String(defaults.traceProbes),
                  minimum: 0, maximum: limits.maximumTraceProbes),
            field("density", "boolean", "eigenvalue density by stochastic Lanczos quadrature", String(defaults.density)),
            field("density_runs", "integer", "density: Lanczos runs from random probes", String(defaults.densityRuns),
                  minimum: 1, maximum: limits.maximumDensityRuns),
            field("density_steps", "integer", "density: Lanczos steps per run", String(defaults.densitySteps),
                  minimum: 2, maximum: limits.maximumLanczosSteps),
            field("seed", "integer", "seed of the Lanczos start vector and the random probes", String(defaults.seed), minimum: 0),
        ]
    }
}
