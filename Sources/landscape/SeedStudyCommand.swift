import ArgumentParser
import Foundation
import Landscape
import LandscapeDistributed
import LandscapeEngine

/// `landscape surface --seeds 0:19`: the surfaces of every seed, then the study over them.
extension SurfaceCommand {
    /// The seed study asked for: the JSON of --spec when it has `seeds` (decoded by the library as the
    /// API decodes it), or the flags with --seeds; nil for one surface.
    func studyRequest() throws -> SeedStudySpec? {
        guard let specFile else { return studySpec }
        let body: Data
        do { body = try Data(contentsOf: URL(fileURLWithPath: specFile)) } catch {
            throw ValidationError("--spec \(specFile): cannot read: \(error.localizedDescription)")
        }
        guard SeedStudySpec.isStudy(json: body) else {
            if study != nil || widthThreshold != nil {
                throw ValidationError("--study and --width-threshold belong to a seed study: --spec \(specFile) has no seeds")
            }
            return nil
        }
        if widthThreshold != nil {
            throw ValidationError("--spec \(specFile) holds the whole study: give width_threshold there, not --width-threshold")
        }
        do { return try SeedStudySpec.decode(json: body) } catch {
            throw ValidationError("--spec \(specFile): \(error)")
        }
    }

    /// The library's spec of a seed study, when --seeds is given (the same the API decodes).
    var studySpec: SeedStudySpec? {
        guard let seeds else { return nil }
        var study = SeedStudySpec(surface: flagSpec, seeds: seeds.seeds)
        study.seed = seed
        study.directionsKind = directions?.kind.rawValue ?? "random"
        if let widthThreshold { study.widthThreshold = widthThreshold }
        return study
    }

    var studyLimits: SeedStudyLimits { .commandLine(maximumPoints: maxPoints) }

    /// Every seed's surfaces, then the study. Under mpirun/srun every rank runs this: the seeds run one
    /// after another through the distributed surface coordinator (each seed's points spread over the
    /// ranks as they become free, rank 0 alone writing the stores and the study); the study is the
    /// single-process one bit for bit, for any number of ranks.
    func runStudy(_ spec: SeedStudySpec, _ validated: SeedStudySpec.Validated) throws {
        let grid = validated.surface.grid
        let loaded = try spec.surface.models.map { try LoadedModel.load(URL(fileURLWithPath: $0)) }
        let dataPath = spec.surface.dataset ?? data.path
        // A --spec request reads its images as the service's planner does (normalization from the model card).
        let images = try specFile == nil
            ? data.request(samples: validated.surface.samples, samplesAtMost: validated.surface.samplesAtMost)
            : spec.surface.evaluationSet(path: dataPath, samples: validated.surface.samples, samplesAtMost: validated.surface.samplesAtMost)
        let set = try EvaluationSet.build(images, card: loaded.first?.card)
        let recompute = try validated.surface.bnRecompute.map {
            try BatchNormRecomputation.build(path: dataPath, batches: $0.batches, batchSize: $0.batchSize, normalizedLike: set.info)
        }
        let storeDirectory = URL(fileURLWithPath: out)
        let evaluator = Evaluator(threads: threads, algorithm: convolution)
        let base = spec.surface.directions, bnMode = spec.surface.bnMode
        // Seed i's computation: its directions drawn here, or (an MPI worker) the ones rank 0 drew.
        let build: DistributedSurface.SeriesBuild = { index, shared in
            var directions = base
            directions.seed = validated.seeds[index]
            return try SurfaceComputation(models: loaded.map(\.surfaceModel), data: set, grid: grid, directions: .random(directions),
                                          bnMode: bnMode, bnRecomputation: recompute, store: try SurfaceStore(directory: storeDirectory),
                                          evaluator: evaluator, sharedDirections: shared)
        }
        let position = Dictionary(uniqueKeysWithValues: validated.seeds.enumerated().map { ($1, $0) })
        func coordinate(_ build: @escaping (Int) throws -> SurfaceComputation, _ runner: any SurfaceTaskRunner) throws {
            let computation = SeedStudyComputation(seeds: validated.seeds, widthThreshold: validated.widthThreshold,
                                                   pointsPerSeed: loaded.count * grid.pointCount) { seed in try build(position[seed]!) }
            let cancel = CancellationFlag()
            InterruptHandler.install(cancel)
            let bar = ProgressBar(unit: "points")
            let result: (surfaces: [Surface], fileNames: [String: String], study: SeedStudy)
            do {
                result = try computation.run(on: runner, cancel: cancel) { bar.update($0) }
            } catch EngineError.cancelled {
                bar.finish()
                print("stopped; finished points are saved in \(storeDirectory.path). Run the same command again to resume.")
                throw ExitCode(130)
            }
            let url = study.map { URL(fileURLWithPath: $0) } ?? storeDirectory.appendingPathComponent(result.study.fileName)
            try result.study.write(to: url)
            print("\(result.surfaces.count) surfaces in \(storeDirectory.path); study: \(url.path)")
            print(SeedStudyTable.text(result.study), terminator: "")
        }
        guard let launch = MPILaunch.detect() else {
            return try coordinate({ try build($0, nil) }, LocalTaskRunner())
        }
        try DistributedSurface.runSeries(launch: launch, rankTimeout: rankTimeout, build: build) { build, runner in
            try withoutActuallyEscaping(build) { try coordinate($0, runner) }
        }
    }
}

/// The study as a short table and one sentence per pair of models.
enum SeedStudyTable {
    static func text(_ study: SeedStudy) -> String {
        let percent = Int((study.confidence * 100).rounded())
        var lines = ["\(study.seeds.count) seeds (\(SeedList(study.seeds))), \(study.dimensions)D, width at loss +\(study.widthThreshold); "
                     + "mean ± sd [\(percent) % CI]"]
        let labelWidth = max(5, study.models.map(\.label.count).max() ?? 0)
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        lines.append(pad("model", labelWidth) + "  " + pad("curvature", 34) + "  width")
        for model in study.models {
            var width = cell(model.width)
            if model.unboundedWidths > 0 { width += "  (\(model.unboundedWidths) unbounded: lower bounds)" }
            lines.append(pad(model.label, labelWidth) + "  " + pad(cell(model.curvature), 34) + "  " + width)
        }
        lines += study.comparisons.map(\.sentence)
        return lines.joined(separator: "\n") + "\n"
    }

    static func cell(_ estimate: Estimate?) -> String {
        guard let e = estimate else { return "-" }
        func f(_ v: Double) -> String { String(format: abs(v) >= 1000 || (abs(v) < 0.01 && v != 0) ? "%.3g" : "%.3f", v) }
        var text = f(e.mean)
        if let sd = e.sd { text += " ± " + f(sd) }
        if let low = e.ciLow, let high = e.ciHigh { text += " [" + f(low) + ", " + f(high) + "]" }
        return text
    }
}
