import ArgumentParser
import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO
import LandscapePictures
import LandscapeCore
import LandscapeDistributed

struct HessianCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hessian",
        abstract: "Hessian spectra of trained models: top eigenvalues (Lanczos), trace (Hutchinson), eigenvalue density (SLQ).",
        discussion: """
        The Hessian of the mean cross-entropy over the chosen images (BatchNorm in eval mode) with respect to every \
        trainable tensor, by exact Hessian-vector products. Per --model, DIR/<model>.hessian.json holds \
        top_eigenvalues, trace, trace_stderr, the density grid, samples, seed and timing, and \
        DIR/<model>.hessian-eigenvectors.safetensors the top eigenvectors (tensors named as in the model, \
        prefixed eigenvector<i>.); DIR/hessian-eigenvalues.png and DIR/hessian-density.png compare the models. With --hvp V.safetensors, writes H·v for that vector to --out instead.
        """)

    @Option(name: .customLong("model"), help: "Checkpoint; repeat for several models on the same images.")
    var models: [String] = []
    @OptionGroup var data: DataOptions
    @Option(help: "Images in the loss (chosen by --subset; default \(HessianSpec.defaultSamples), or every image of a smaller split).")
    var samples: Int?
    @Option(help: "Top eigenvalues, with eigenvectors (0: none).") var top = HessianSpec(models: []).top
    @Flag(help: "Also the most negative eigenvalue, iterated to convergence (its eigenvector saved as smallest.<name>).")
    var negative = false
    @Option(help: "Most Lanczos steps for the top eigenvalues (stops once they converge).")
    var lanczosSteps = HessianSpec(models: []).lanczosSteps
    @Option(name: .customLong("trace"), help: "Rademacher probes of Hutchinson's trace (0: no trace).")
    var traceProbes = HessianSpec(models: []).traceProbes
    @Flag(help: "Eigenvalue density by stochastic Lanczos quadrature.") var density = false
    @Option(help: "Density: Lanczos runs from random probes.") var densityRuns = HessianSpec(models: []).densityRuns
    @Option(help: "Density: Lanczos steps per run.") var densitySteps = HessianSpec(models: []).densitySteps
    @Option(help: "Seed of the Lanczos start vector and the probes.") var seed: UInt64 = 0
    @Option(help: "H·v for this vector (safetensors, tensors named as the model's trainable ones) instead of spectra; --out is then the output file.")
    var hvp: String?
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Output directory (spectra) or file (with --hvp).") var out = "hessian"
    @Flag(help: "Print the spectra as JSON on stdout.") var json = false
    @Option(help: "Under mpirun/srun: seconds a rank may send nothing (dead or hung) before the run stops naming it.")
    var rankTimeout = DistributedSurface.defaultRankTimeout
    @Option(name: .customLong("spec"), help: ArgumentHelp(
        "The request as the API's JSON (what `serve --launcher` writes): models and dataset name files here. Replaces --model and the data and spectrum flags; --out, --threads, --progress and --rank-timeout still apply.",
        valueName: "FILE.json"))
    var specFile: String?
    @Option(name: .customLong("progress"), help: ArgumentHelp(
        "Keep the latest progress report (products done and at most, per model) in this JSON file, replaced atomically (what `serve --launcher` follows).",
        valueName: "FILE.json"))
    var progressFile: String?
    @Flag(name: .customLong("no-pictures"),
          help: "Write the spectra only, no comparison PNGs (what `serve --launcher` passes: its store holds what an in-process job writes).")
    var noPictures = false

    /// The request: the JSON of --spec, decoded by the library as the API decodes it, or the flags.
    func request() throws -> HessianSpec {
        guard let specFile else { return spec }
        let body: Data
        do { body = try Data(contentsOf: URL(fileURLWithPath: specFile)) } catch {
            throw ValidationError("--spec \(specFile): cannot read: \(error.localizedDescription)")
        }
        do { return try HessianSpec.decode(json: body) } catch {
            throw ValidationError("--spec \(specFile): \(error)")
        }
    }

    var spec: HessianSpec {
        var spec = HessianSpec(models: models)
        spec.split = data.split
        spec.samples = samples
        spec.subset = data.subset
        spec.subsetSeed = data.subsetSeed
        spec.top = top
        spec.negative = negative
        spec.lanczosSteps = lanczosSteps
        spec.traceProbes = traceProbes
        spec.density = density
        spec.densityRuns = densityRuns
        spec.densitySteps = densitySteps
        spec.seed = seed
        return spec
    }

    /// The CLI's only caps are the spec's sanity checks (no server to protect).
    var limits: HessianLimits {
        var limits = HessianLimits()
        limits.maximumModels = .max
        limits.maximumSamples = .max
        limits.maximumProducts = .max
        return limits
    }

    func validate() throws {
        if hvp != nil {
            guard models.count == 1 else { throw ValidationError("--hvp: expected exactly one --model, got \(models.count)") }
            if let samples, samples < 1 { throw ValidationError("--samples: expected 1 or more, got \(samples)") }
            return
        }
        if let specFile, !models.isEmpty || hvp != nil {
            throw ValidationError("--spec \(specFile) holds the whole request: leave out --model and --hvp")
        }
        do { _ = try request().validated(limits: limits) } catch let error as SpecError {
            if let specFile { throw ValidationError("--spec \(specFile): \(error)") }
            throw ValidationError("\(Self.flags(of: error.field)): \(error.problem)")
        }
    }

    static func flags(of fields: String) -> String {
        let renamed = ["models": "--model", "trace_probes": "--trace", "dataset": "--data"]
        return fields.components(separatedBy: ", ").map { renamed[$0] ?? "--" + $0.replacingOccurrences(of: "_", with: "-") }
            .joined(separator: ", ")
    }

    func run() throws {
        let launch = MPILaunch.detect()
        if let hvp {
            guard launch == nil else {
                throw ValidationError("--hvp computes one product: run it without mpirun/srun (ranks take trace probes and density runs)")
            }
            return try product(vectorPath: hvp)
        }
        let request = try request()
        let validated = try request.validated(limits: limits)   // checked in validate() already
        let build = {
            let loaded = try request.models.map { try LoadedModel.load(URL(fileURLWithPath: $0)) }
            // A --spec request reads its images as the service's planner does (normalization from the model card).
            let images = try specFile == nil ? data.request(samples: validated.samples, samplesAtMost: validated.samplesAtMost)
                : request.evaluationSet(path: request.dataset ?? data.path, validated)
            let set = try EvaluationSet.build(images, card: loaded.first?.card)
            return try HessianRun(models: loaded, data: set, options: validated.options,
                                  directory: URL(fileURLWithPath: out), threads: threads)
        }
        let cancel = CancellationFlag()
        InterruptHandler.install(cancel, message: "interrupted: stopping after the current product…")
        let bar = ProgressBar(unit: "products")
        let progress = progressFile.map { ProgressFile(url: URL(fileURLWithPath: $0)) }
        let report: (ProgressReport) -> Void = { report in
            bar.update(report)
            do { try progress?.record(report) } catch {
                FileHandle.standardError.write(Data("landscape: --progress: \(error)\n".utf8))   // the run goes on
            }
        }
        let spectra: [HessianSpectrum]
        let run: HessianRun
        do {
            if let launch {
                // Every rank loads the same files; rank 0 alone writes, prints and draws.
                var built: HessianRun?
                guard let distributed = try DistributedHessian.run(launch: launch, rankTimeout: rankTimeout, build: {
                    let made = try build()
                    built = made
                    return made
                }, cancel: cancel, onProgress: report), let made = built else { return }
                spectra = distributed
                run = made
            } else {
                run = try build()
                spectra = try run.run(cancel: cancel, onProgress: report)
            }
        } catch EngineError.cancelled {
            bar.finish()
            print("stopped; spectra of models finished before the interruption are in \(out).")
            throw ExitCode(130)
        }
        var pictures: [String] = []
        if !noPictures, spectra.contains(where: { $0.topEigenvalues.count >= 2 }) {
            let url = URL(fileURLWithPath: out).appendingPathComponent("hessian-eigenvalues.png")
            try Pictures.eigenvalues(spectra).write(to: url)
            pictures.append(url.path)
        }
        if !noPictures, spectra.contains(where: { $0.density != nil }) {
            let url = URL(fileURLWithPath: out).appendingPathComponent("hessian-density.png")
            try Pictures.densities(spectra).write(to: url)
            pictures.append(url.path)
        }
        if json {
            for spectrum in spectra { print(String(decoding: try LandscapeJSON.encode(spectrum), as: UTF8.self)) }
            return
        }
        for (model, spectrum) in zip(run.models, spectra) {
            print("\(model.name): \(run.jsonURL(model).path)")
            if !spectrum.topEigenvalues.isEmpty {
                print("  top eigenvalues " + spectrum.topEigenvalues.map { String(format: "%.4f", $0) }.joined(separator: ", ")
                      + " (\(spectrum.lanczosSteps) Lanczos steps)")
            }
            if let smallest = spectrum.smallestRitzValue {
                print(String(format: "  smallest Ritz value %.4f (residual %.3g%@)", smallest, spectrum.smallestRitzResidual ?? .nan,
                             request.negative ? "" : "; not iterated to convergence: pass --negative"))
            }
            if let trace = spectrum.trace {
                print(String(format: "  trace %.2f ± %.2f (%d probes)", trace, spectrum.traceStderr ?? .nan, spectrum.traceProbes))
            }
            print(String(format: "  %d products on %d images, %.2f s each (%@)", spectrum.timing.products, spectrum.samples,
                         spectrum.timing.secondsPerProduct, spectrum.timing.kernel ?? "?"))
        }
        for picture in pictures { print("picture: \(picture)") }
    }

    private func product(vectorPath: String) throws {
        let loaded = try LoadedModel.load(URL(fileURLWithPath: models[0]))
        let set = try EvaluationSet.build(try data.request(samples: samples ?? HessianSpec.defaultSamples,
                                                           samplesAtMost: samples == nil), card: loaded.card)
        let vector = try Checkpoint.load(URL(fileURLWithPath: vectorPath))
        let start = Date()
        let (product, loss) = try HessianVectorFile.product(model: loaded, data: set, vector: vector, source: vectorPath,
                                                            threads: threads)
        let seconds = Date().timeIntervalSince(start)
        try Safetensors.write(product, to: URL(fileURLWithPath: out))
        let norm = product.items.reduce(0.0) { $0 + $1.tensor.scalars.reduce(0.0) { $0 + Double($1) * Double($1) } }.squareRoot()
        print(String(format: "H·v written to %@: ‖H·v‖ %.6f, loss %.6f, %d images, %.2f s (%.1f images/s)", out, norm, loss,
                     set.data.count, seconds, Double(set.data.count) / seconds))
    }
}
