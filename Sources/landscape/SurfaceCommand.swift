import ArgumentParser
import Foundation
import Landscape
import LandscapeDistributed
import LandscapeEngine

struct SurfaceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "surface",
        abstract: "Compute loss landscapes around trained weights along shared seeded, filter-normalized directions.",
        discussion: """
        One surface per --model, all with the same raw directions (each normalized to its own weights), \
        written to DIR as JSON with the directions as safetensors. Points are computed coarse-to-fine and \
        saved as they finish: interrupt with Ctrl-C and run the same command again to resume.
        """)

    @Option(name: .customLong("model"), help: "Checkpoint; repeat for side-by-side models with shared directions.")
    var models: [String] = []
    @OptionGroup var data: DataOptions
    @Option(parsing: .unconditional, help: "x axis START:END:COUNT (default \(SurfaceSpec.defaultAxis); with pca: over the path).",
            transform: GridAxis.init(parsing:))
    var x: GridAxis?
    @Option(parsing: .unconditional, help: "y axis START:END:COUNT (omit for a 1D line).", transform: GridAxis.init(parsing:))
    var y: GridAxis?
    @Option(help: "Number of samples (chosen by --subset; default \(EvaluationSetRequest.defaultSurfaceSamples), or every image of a smaller split).")
    var samples: Int?
    @Option(help: "Seed of the random directions (default 0).") var seed: UInt64?
    @Option(help: "A seed study: one surface per seed and model, an inclusive range (0:19) or a list (0,3,7), then the study of widths and curvatures over the seeds (see --study).",
            transform: SeedList.init(parsing:))
    var seeds: SeedList?
    @Option(help: "With --seeds: where the study JSON goes (default: DIR/study-<hash>.json beside the surfaces).") var study: String?
    @Option(help: "With --seeds: loss increase above the centre at which widths are read (0.1 or 1.0; default \(SeedStudy.defaultWidthThreshold)).")
    var widthThreshold: Double?
    @Option(help: "Direction normalization: filter, layer, weight, none.") var norm: DirectionNormalization = .filter
    @Option(help: "1-D tensors (BN, biases): biasbn (zero direction) or none (copy weights, as Li et al.'s alternative).")
    var ignore: DirectionIgnore = .biasbn
    @Option(help: "weights (parameters only) or states (BN running statistics too).") var mode: DirectionMode = .weights
    @Option(help: "BatchNorm at perturbed weights: eval (running statistics) or recompute (re-estimated at each point from training images).")
    var bn: BatchNormMode = .eval
    @Option(help: "recompute: number of training batches (the first batches x size images of --data's train split; default \(BatchNormRecomputation.defaultBatches)).")
    var bnBatches: Int?
    @Option(help: "recompute: images per batch (default \(BatchNormRecomputation.defaultBatchSize)).") var bnBatchSize: Int?
    @Option(help: "Refuse grids with more points than this.") var maxPoints = GridSpec.defaultMaximumPoints
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp(stringLiteral: ConvolutionAlgorithm.help))
    var convolution = ConvolutionAlgorithm.auto
    @Option(help: "Output directory (JSON grids, directions, resumable state).") var out = "surfaces"
    @Option(help: "pca:DIR — x, y = PC1, PC2 from `landscape trajectory --out DIR`, around its final model (--model); --x/--y default to the path plus a margin (21 points each). hessian:DIR — x, y = the top-2 Hessian eigenvectors of --model from `landscape hessian --top 2 --out DIR` (unit vectors: α moves the weights by |α| in L2 norm; --y defaults to --x). Default: seeded random directions.")
    var directions: DirectionsOption?
    @Option(help: "Under mpirun/srun: seconds a rank may send nothing (dead or hung) before the run stops naming it.")
    var rankTimeout = DistributedSurface.defaultRankTimeout
    @Flag(help: "Print where the time went (loading, directions, and per point: weights, folding, forward, loss, idle threads, the store's writes) to stderr at the end, as a table and one line of JSON.")
    var profile = false
    @Option(name: .customLong("spec"), help: ArgumentHelp(
        "The request as the API's JSON (what `serve --launcher` writes): models and dataset name files here. Replaces --model, --x, --y and the data and direction flags; --out, --threads, --convolution and --rank-timeout still apply.",
        valueName: "FILE.json"))
    var specFile: String?

    /// The request: the JSON of --spec, decoded by the library as the API decodes it, or the flags.
    func request() throws -> SurfaceSpec {
        guard let specFile else { return flagSpec }
        let body: Data
        do { body = try Data(contentsOf: URL(fileURLWithPath: specFile)) } catch {
            throw ValidationError("--spec \(specFile): cannot read: \(error.localizedDescription)")
        }
        do { return try SurfaceSpec.decode(json: body) } catch {
            throw ValidationError("--spec \(specFile): \(error)")
        }
    }

    /// The same spec the API builds from its JSON.
    var flagSpec: SurfaceSpec {
        var spec = SurfaceSpec(models: models, x: x ?? (try! GridAxis(parsing: SurfaceSpec.defaultAxis)),
                               y: y ?? (directions != nil ? (x ?? (try! GridAxis(parsing: SurfaceSpec.defaultAxis))) : nil))
        data.fill(&spec, samples: samples)
        spec.directions = DirectionSpec(seed: seed ?? 0, normalization: norm, ignore: ignore, mode: mode)
        spec.bnMode = bn
        spec.bnBatches = bnBatches
        spec.bnBatchSize = bnBatchSize
        return spec
    }

    var limits: SurfaceLimits { .commandLine(maximumPoints: maxPoints) }

    func validate() throws {
        if let specFile, !models.isEmpty || x != nil || y != nil || directions != nil || seeds != nil {
            throw ValidationError("--spec \(specFile) holds the whole request: leave out --model, --x, --y, --directions and --seeds")
        }
        if seeds == nil, specFile == nil, study != nil || widthThreshold != nil {
            throw ValidationError("--study and --width-threshold belong to a seed study: give --seeds too")
        }
        do {
            if let study = try studyRequest() { _ = try study.validated(limits: studyLimits) } else { _ = try request().validated(limits: limits) }
        } catch let error as SpecError {
            if let specFile { throw ValidationError("--spec \(specFile): \(error)") }
            throw ValidationError(SpecFlags.of(error, renamed: ["models": "--model", "bn_mode": "--bn", "dataset": "--data"]))
        }
    }

    func run() throws {
        if let study = try studyRequest() { return try runStudy(study, study.validated(limits: studyLimits)) }
        let profiler = profile ? CommandProfile() : nil
        let spec = try request()
        var validated = try spec.validated(limits: limits)   // checked in validate() already: cannot throw here
        let loaded = try profiler.timed(.loadModels) { try spec.models.map { try LoadedModel.load(URL(fileURLWithPath: $0)) } }
        let dataPath = spec.dataset ?? data.path
        let plane = try directions.flatMap { $0.kind == .pca ? try PCAPlane.load(directory: $0.directory, model: loaded[0]) : nil }
        let hessian = try directions.flatMap { $0.kind == .hessian ? try HessianPlane.load(directory: $0.directory, model: loaded[0]) : nil }
        if let hessian {
            print("Hessian axes from \(hessian.directory)/\(hessian.spectrumFile): λ1 = \(hessian.eigenvalues[0]), λ2 = \(hessian.eigenvalues[1])")
        }
        if let plane, x == nil || y == nil {
            let covering = try plane.trajectory.coveringAxes()
            var pathSpec = spec
            pathSpec.x = x ?? covering.x
            pathSpec.y = y ?? covering.y
            validated = try pathSpec.validated(limits: limits)
            print("grid over the path: x \(validated.grid.x), y \(validated.grid.y.map { "\($0)" } ?? "-")")
        }
        // A --spec request reads its images as the service's planner does (normalization from the model card).
        let (set, recompute) = try profiler.timed(.loadData) {
            let images = try specFile == nil ? data.request(samples: validated.samples, samplesAtMost: validated.samplesAtMost)
                : spec.evaluationSet(path: dataPath, samples: validated.samples, samplesAtMost: validated.samplesAtMost)
            let set = try EvaluationSet.build(images, card: loaded.first?.card)
            let recompute = try validated.bnRecompute.map {
                try BatchNormRecomputation.build(path: dataPath, batches: $0.batches, batchSize: $0.batchSize, normalizedLike: set.info)
            }
            return (set, recompute)
        }
        let build: DistributedSurface.Build = { shared in
            try SurfaceComputation(
                models: loaded.map(\.surfaceModel), data: set, grid: validated.grid,
                directions: plane.map { .pca($0) } ?? hessian.map { .hessian($0) } ?? .random(spec.directions),
                bnMode: spec.bnMode, bnRecomputation: recompute, store: try SurfaceStore(directory: URL(fileURLWithPath: out)),
                evaluator: Evaluator(threads: threads, algorithm: convolution), sharedDirections: shared,
                profile: profiler?.phases)
        }
        try SurfaceRunner.run(build: build, samples: set.data.count, rankTimeout: rankTimeout)
        profiler?.print()
    }
}

struct InterpolateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate",
        abstract: "Loss along the straight line from model A (x = 0) to model B (x = 1), BN statistics included.")

    @Argument(help: "Model A (x = 0).") var a: String
    @Argument(help: "Model B (x = 1).") var b: String
    @OptionGroup var data: DataOptions
    @Option(parsing: .unconditional, help: "x axis START:END:COUNT (a grid that spans 0 or 1 must have points on them).",
            transform: GridAxis.init(parsing:))
    var x = try! GridAxis(parsing: InterpolationSpec.defaultAxis)
    @Option(help: "Number of samples (chosen by --subset; default \(EvaluationSetRequest.defaultSurfaceSamples), or every image of a smaller split).")
    var samples: Int?
    @Option(help: "Refuse grids with more points than this.") var maxPoints = GridSpec.defaultMaximumPoints
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: ArgumentHelp(stringLiteral: ConvolutionAlgorithm.help))
    var convolution = ConvolutionAlgorithm.auto
    @Option(help: "Output directory.") var out = "surfaces"
    @Option(help: "Under mpirun/srun: seconds a rank may send nothing (dead or hung) before the run stops naming it.")
    var rankTimeout = DistributedSurface.defaultRankTimeout

    /// The library's spec of this request: its defaults and checks, not the command's.
    var spec: InterpolationSpec {
        var spec = InterpolationSpec(start: a, end: b, x: x)
        data.fill(&spec, samples: samples)
        return spec
    }

    var limits: SurfaceLimits { .commandLine(maximumPoints: maxPoints) }

    func validate() throws {
        do { _ = try spec.validated(limits: limits) } catch {
            throw ValidationError(SpecFlags.of(error, renamed: ["a": "A", "b": "B"]))
        }
    }

    func run() throws {
        let validated = try spec.validated(limits: limits)   // checked in validate() already: cannot throw here
        let start = try LoadedModel.load(URL(fileURLWithPath: a)), end = try LoadedModel.load(URL(fileURLWithPath: b))
        let set = try EvaluationSet.build(try data.request(samples: validated.samples, samplesAtMost: validated.samplesAtMost),
                                          card: start.card)
        let build: DistributedSurface.Build = { shared in
            try SurfaceComputation(
                models: [start.surfaceModel], data: set, grid: validated.grid, directions: .interpolation(to: end.surfaceModel),
                store: try SurfaceStore(directory: URL(fileURLWithPath: out)), evaluator: Evaluator(threads: threads, algorithm: convolution),
                sharedDirections: shared)
        }
        try SurfaceRunner.run(build: build, samples: set.data.count, rankTimeout: rankTimeout)
    }
}

/// Runs a computation with a progress bar and Ctrl-C → save and stop.
enum SurfaceRunner {
    /// A plain run, or, when mpirun/srun started this process, its rank's part of a distributed one
    /// (rank 0 coordinates, writes and draws the bar; the other ranks evaluate points).
    static func run(build: DistributedSurface.Build, samples: Int, rankTimeout: Double) throws {
        guard let launch = MPILaunch.detect() else { return try run(build(nil), samples: samples) }
        try DistributedSurface.run(launch: launch, rankTimeout: rankTimeout, build: build) { computation, runner in
            try run(computation, samples: samples, runner: runner)
        }
    }

    static func run(_ computation: SurfaceComputation, samples: Int, runner: any SurfaceTaskRunner = LocalTaskRunner()) throws {
        let cancel = CancellationFlag()
        InterruptHandler.install(cancel)
        let bar = ProgressBar(unit: "points")
        let surfaces: [Surface]
        do {
            surfaces = try computation.run(on: runner, cancel: cancel) { step in bar.update(step.report) }
        } catch EngineError.cancelled {
            bar.finish()
            print("stopped; finished points are saved in \(computation.store.directory.path). Run the same command again to resume.")
            throw ExitCode(130)
        }
        for surface in surfaces {
            let file = computation.store.directory.appendingPathComponent(computation.store.surfaceFileName(for: surface)).path
            let s = surface.summary
            print("\(surface.model.name): \(file)")
            if let loss = s?.centreLoss, let acc = s?.centreAccuracy, let min = s?.minimumLoss {
                print(String(format: "  centre loss %.4f, accuracy %.2f %%; minimum %.4f at %@; %d samples, %.0f images/s",
                             loss, acc * 100, min, "\(s?.minimumAt ?? [])", samples, surface.timing.imagesPerSecond ?? 0))
            }
        }
    }
}

/// `--directions pca:DIR` or `--directions hessian:DIR`.
struct DirectionsOption: ExpressibleByArgument {
    enum Kind: String { case pca, hessian }
    let kind: Kind
    let directory: String
    init?(argument: String) {
        let parts = argument.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, let kind = Kind(rawValue: parts[0]), !parts[1].isEmpty else { return nil }
        self.kind = kind
        directory = parts[1]
    }
}

extension DirectionNormalization: ExpressibleByArgument {}
extension DirectionIgnore: ExpressibleByArgument {}
extension DirectionMode: ExpressibleByArgument {}
extension BatchNormMode: ExpressibleByArgument {}

