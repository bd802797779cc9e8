import Foundation
import LandscapeEngine
import LandscapeIO
import LandscapeCore

/// Spectra of one or more models on the same images, each written to DIR as
/// `<model>.hessian.json` (a `HessianSpectrum`, LandscapeJSON) and
/// `<model>.hessian-eigenvectors.safetensors`, both through the atomic writer.
public struct HessianRun {
    public let models: [LoadedModel]
    public let data: SurfaceData
    public let options: SpectrumOptions
    public let directory: URL
    public let threads: Int

    /// Checks every model against the spec before any product: input channels and k ≤ parameter count.
    public init(models: [LoadedModel], data: SurfaceData, options: SpectrumOptions, directory: URL,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        for model in models {
            try model.checkInput(data)
            try HessianSpec.check(top: options.top, parameterCount: model.model.parameterCount, model: model.name)
        }
        self.models = models; self.data = data; self.options = options; self.directory = directory; self.threads = threads
    }

    public func jsonURL(_ model: LoadedModel) -> URL { directory.appendingPathComponent("\(model.name).hessian.json") }
    public func eigenvectorFileName(_ model: LoadedModel) -> String { "\(model.name).hessian-eigenvectors.safetensors" }

    /// Computes and writes every model's spectrum in order; `onProgress` gets one report per product.
    public func run(cancel: CancellationFlag = CancellationFlag(),
                    onProgress: (ProgressReport) -> Void = { _ in }) throws -> [HessianSpectrum] {
        try createDirectory()
        var spectra: [HessianSpectrum] = []
        for model in models {
            let spectrum = try compute(model, cancel: cancel, onProgress: onProgress)
            spectra.append(spectrum)
        }
        return spectra
    }

    /// The output directory, created if missing.
    public func createDirectory() throws {
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw LandscapeError.storeFailure(path: directory.path, detail: "cannot create the output directory: \(error.localizedDescription)")
        }
    }

    private func compute(_ loaded: LoadedModel, cancel: CancellationFlag,
                         onProgress: (ProgressReport) -> Void) throws -> HessianSpectrum {
        let hessian = try makeOperator(loaded, cancel: cancel)
        let start = Date()
        let result = try SpectrumComputation.run(hessian, options) { done, total, what in
            let elapsed = Date().timeIntervalSince(start)
            let rate = Double(hessian.productCount) / max(elapsed, 1e-9)
            onProgress(ProgressReport(label: Self.progressLabel(loaded, what), done: done, total: total, elapsedSeconds: elapsed,
                                      rate: rate, etaSeconds: rate > 0 ? Double(total - done) / rate : nil))
        }
        return try write(loaded, result: result, operator: hessian, loss: hessian.loss, gradientNorm: hessian.gradientNorm,
                         products: hessian.productCount, seconds: Date().timeIntervalSince(start))
    }

    /// A progress report's label: "<model>: <what is being done>" (one process, or every rank under mpirun), so
    /// a reader of a run's progress file (`serve --launcher`) tells the models apart by the prefix.
    public static func progressLabel(_ model: LoadedModel, _ what: String) -> String { "\(model.name): \(what)" }

    /// The Hessian of one of the run's models on its images.
    public func makeOperator(_ loaded: LoadedModel, cancel: CancellationFlag,
                             primalCacheLimit: Int = HessianPrimalCache.defaultLimitBytes) throws -> HessianOperator {
        try HessianOperator(model: loaded.model, data: data.data, threads: threads, cancel: cancel, primalCacheLimit: primalCacheLimit)
    }

    /// Writes one model's spectrum (JSON and eigenvectors, atomically) from a computation's result; the loss,
    /// gradient norm and product count are passed in, as a run spread over ranks measured them on several.
    public func write(_ loaded: LoadedModel, result: SpectrumComputation.Result, operator hessian: HessianOperator,
                      loss: Double?, gradientNorm: Double?, products: Int, seconds: Double) throws -> HessianSpectrum {
        var eigenvectorFile: String?
        if !result.top.isEmpty || options.negative {
            var pairs: [(String, Tensor)] = []
            for (index, pair) in result.top.enumerated() {
                for (name, tensor) in hessian.tensors(pair.vector) { pairs.append(("eigenvector\(index).\(name)", tensor)) }
            }
            if options.negative, let smallest = result.smallest {
                for (name, tensor) in hessian.tensors(smallest.vector) { pairs.append(("smallest.\(name)", tensor)) }
            }
            let metadata = ["model": loaded.name, "model_sha256": loaded.sha256,
                            "eigenvalues": result.top.map { "\($0.value)" }.joined(separator: ","),
                            "samples": "\(data.data.count)", "seed": "\(options.seed)"]
            let name = eigenvectorFileName(loaded)
            try Safetensors.write(StateDict(pairs, metadata: metadata), to: directory.appendingPathComponent(name))
            eigenvectorFile = name
        }
        let spectrum = HessianSpectrum(
            model: loaded.info, dataset: data.info, samples: data.data.count, seed: options.seed,
            loss: loss, gradientNorm: gradientNorm, parameterCount: hessian.dimension,
            topEigenvalues: result.top.map(\.value), topResiduals: result.top.map(\.residual),
            lanczosSteps: result.lanczosSteps, smallestRitzValue: result.smallest?.value,
            smallestRitzResidual: result.smallest?.residual, topEigenvectors: eigenvectorFile,
            trace: result.trace?.trace, traceStderr: result.trace?.standardError, traceProbes: options.traceProbes,
            traceSamples: result.trace?.samples,
            density: result.density.map {
                HessianSpectrum.Density(grid: $0.grid, density: $0.density, variance: $0.variance, runs: $0.runs,
                                        steps: options.densitySteps)
            },
            timing: HessianSpectrum.Timing(seconds: seconds, products: products,
                                           secondsPerProduct: seconds / Double(max(products, 1)),
                                           threads: threads, kernel: hessian.kernel))
        try SurfaceStore.writeAtomically(try LandscapeJSON.encode(spectrum), to: jsonURL(loaded))
        return spectrum
    }
}

/// H·v for a vector given as tensors named like the model's trainable ones
/// (`landscape hessian --hvp V.safetensors`): every trainable tensor must be
/// there with its shape; nothing else may be.
public enum HessianVectorFile {
    public static func product(model loaded: LoadedModel, data: SurfaceData, vector: StateDict, source: String,
                               threads: Int = ProcessInfo.processInfo.activeProcessorCount,
                               cancel: CancellationFlag = CancellationFlag()) throws -> (product: StateDict, loss: Double) {
        try loaded.checkInput(data)
        let hessian = try HessianOperator(model: loaded.model, data: data.data, threads: threads, cancel: cancel)
        var compact: [Double] = []
        var problems: [String] = []
        for entry in hessian.entries {
            guard let tensor = vector[entry.name] else { problems.append("missing tensor \(entry.name) \(entry.shape)"); continue }
            guard tensor.shape == entry.shape else {
                problems.append("tensor \(entry.name) has shape \(tensor.shape), expected \(entry.shape)")
                continue
            }
            compact.append(contentsOf: tensor.scalars.map(Double.init))
        }
        let known = Set(hessian.entries.map(\.name))
        problems += vector.names.filter { !known.contains($0) }.map { "unexpected tensor \($0) (not a trainable tensor of the model)" }
        guard problems.isEmpty else {
            throw LandscapeError.invalidRequest("\(source): " + problems.prefix(5).joined(separator: "; ")
                + (problems.count > 5 ? "; and \(problems.count - 5) more" : "")
                + ": expected one tensor per trainable tensor of \(loaded.name), named and shaped as in the model")
        }
        if let bad = compact.firstIndex(where: { !$0.isFinite }) {
            throw LandscapeError.invalidRequest("\(source): value \(bad) of the vector is \(compact[bad]): expected finite numbers")
        }
        let product = try hessian.apply(compact)
        let metadata = ["model": loaded.name, "model_sha256": loaded.sha256, "samples": "\(data.data.count)",
                        "loss": "\(hessian.loss ?? .nan)", "what": "H·v of the mean cross-entropy, eval-mode BatchNorm"]
        return (StateDict(hessian.tensors(product).map { ($0.name, $0.tensor) }, metadata: metadata), hessian.loss ?? .nan)
    }
}
