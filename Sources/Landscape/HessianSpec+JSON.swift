import Foundation

// MARK: - The API's JSON form of a Hessian request

extension HessianSpec {
    /// Decodes the API's JSON body (snake_case fields as in `fields(limits:)`; unknown fields refused),
    /// naming the field of any error. Validation is `validated(limits:)`, as for the CLI.
    public static func decode(json body: Data) throws -> HessianSpec {
        let reader = try JSONFields(body: body, known: Set(fields(limits: HessianLimits()).map(\.name)),
                                    expecting: "models and what to compute")
        guard let models = try reader.strings("models") else { throw SpecError("models", "required") }
        var spec = HessianSpec(models: models)
        spec.dataset = try reader.string("dataset")
        spec.split = try reader.choice("split")
        spec.samples = try reader.integer("samples")
        spec.subset = try reader.choice("subset") ?? spec.subset
        spec.subsetSeed = try reader.seed("subset_seed") ?? spec.subsetSeed
        spec.top = try reader.integer("top") ?? spec.top
        spec.negative = try reader.boolean("negative") ?? spec.negative
        spec.lanczosSteps = try reader.integer("lanczos_steps") ?? spec.lanczosSteps
        spec.traceProbes = try reader.integer("trace_probes") ?? spec.traceProbes
        spec.density = try reader.boolean("density") ?? spec.density
        spec.densityRuns = try reader.integer("density_runs") ?? spec.densityRuns
        spec.densitySteps = try reader.integer("density_steps") ?? spec.densitySteps
        spec.seed = try reader.seed("seed") ?? spec.seed
        return spec
    }

    /// The request as the API's JSON (what `decode(json:)` reads back to an equal spec): how `serve
    /// --launcher` hands a job to `landscape hessian --spec`. Every field is written, defaults included.
    public func json() throws -> Data {
        var object: [String: Any] = ["models": models, "subset": subset.rawValue, "subset_seed": NSNumber(value: subsetSeed),
                                     "top": top, "negative": negative, "lanczos_steps": lanczosSteps, "trace_probes": traceProbes,
                                     "density": density, "density_runs": densityRuns, "density_steps": densitySteps,
                                     "seed": NSNumber(value: seed)]
        if let dataset { object["dataset"] = dataset }
        if let split { object["split"] = split.rawValue }
        if let samples { object["samples"] = samples }
        return try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }

    /// The id of a validated request's results: the models' bytes (and activations), the images' content,
    /// and every option that changes a number. Two requests with the same id compute the same spectra.
    public static func resultID(models: [Surface.ModelInfo], dataset: Surface.DatasetInfo, options: SpectrumOptions) -> String {
        let parts = ["hessian-v\(HessianSpectrum.formatVersion)"] + models.flatMap { [$0.name, $0.sha256, $0.activation] } + [
            dataset.contentSha256, "top=\(options.top)", "negative=\(options.negative)", "lanczos=\(options.lanczosSteps)",
            "tolerance=\(options.tolerance)", "trace=\(options.traceProbes)", "density=\(options.density)",
            "runs=\(options.densityRuns)", "steps=\(options.densitySteps)", "bins=\(options.densityBins)", "seed=\(options.seed)",
        ]
        return "h" + String(SHA256.hex(parts.joined(separator: "|")).prefix(15))
    }
}

extension HessianLimits {
    /// Caps so large that only the spec's own sanity checks apply: a request refused under these is
    /// malformed (400), one refused only under a server's caps is too big (422). Int32.max keeps the
    /// product count (steps + probes + runs × steps) far from overflowing.
    public static var unbounded: HessianLimits {
        var limits = HessianLimits()
        let huge = Int(Int32.max)
        limits.maximumModels = huge
        limits.maximumSamples = huge
        limits.maximumLanczosSteps = huge
        limits.maximumTraceProbes = huge
        limits.maximumDensityRuns = huge
        limits.maximumProducts = .max
        return limits
    }
}

extension JSONFields {
    /// JSON true or false only: 0, 1 and "true" are refused.
    func boolean(_ name: String) throws -> Bool? {
        guard let value = value(name) else { return nil }
        guard isBoolean(value), let flag = value as? Bool else { throw SpecError(name, "expected true or false, got \(value)") }
        return flag
    }
}
