import ArgumentParser
import Foundation
import Landscape
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
    @Option(parsing: .unconditional, help: "x axis START:END:COUNT.") var x = "-1:1:51"
    @Option(parsing: .unconditional, help: "y axis START:END:COUNT (omit for a 1D line).") var y: String?
    @Option(help: "Number of samples (chosen by --subset; default \(EvaluationSetRequest.defaultSurfaceSamples), or every image of a smaller split).")
    var samples: Int?
    @Option(help: "Seed of the random directions.") var seed: UInt64 = 0
    @Option(help: "Direction normalization: filter, layer, weight, none.") var norm: DirectionNormalization = .filter
    @Option(help: "1-D tensors (BN, biases): biasbn (zero direction) or none (copy weights, as Li et al.'s alternative).")
    var ignore: DirectionIgnore = .biasbn
    @Option(help: "weights (parameters only) or states (BN running statistics too).") var mode: DirectionMode = .weights
    @Option(help: "BatchNorm at perturbed weights: eval (running statistics) or recompute (re-estimated at each point from training images).")
    var bn: BatchNormMode = .eval
    @Option(help: "recompute: number of training batches (the first batches x size images of --data's train split).")
    var bnBatches = BatchNormRecomputation.defaultBatches
    @Option(help: "recompute: images per batch.") var bnBatchSize = BatchNormRecomputation.defaultBatchSize
    @Option(help: "Refuse grids with more points than this.") var maxPoints = GridSpec.defaultMaximumPoints
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "3x3 convolutions: winograd (stride 1; the default where the CPU has AVX2+FMA), direct, or im2col (the portable path).")
    var convolution = ConvolutionAlgorithm.preferred
    @Option(help: "Output directory (JSON grids, directions, resumable state).") var out = "surfaces"

    func validate() throws {
        guard !models.isEmpty else { throw ValidationError("give at least one --model") }
        if let samples, samples < 1 { throw ValidationError("--samples must be at least 1, got \(samples)") }
        guard bnBatches >= 1, bnBatchSize >= 2 else {
            throw ValidationError("--bn-batches must be at least 1 and --bn-batch-size at least 2")
        }
        _ = try grid()
    }

    func grid() throws -> GridSpec {
        try GridSpec(x: GridAxis(parsing: x), y: y.map(GridAxis.init(parsing:)), maximumPoints: maxPoints)
    }

    func run() throws {
        let loaded = try models.map { try LoadedModel.load(URL(fileURLWithPath: $0)) }
        let set = try EvaluationSet.build(try data.request(samples: samples ?? EvaluationSetRequest.defaultSurfaceSamples,
                                                           samplesAtMost: samples == nil), card: loaded.first?.card)
        for model in loaded { try model.checkInput(set) }
        let recompute = try bn == .recompute
            ? BatchNormRecomputation.build(path: data.path, batches: bnBatches, batchSize: bnBatchSize, normalizedLike: set.info)
            : nil
        let computation = try SurfaceComputation(
            models: loaded.map(\.surfaceModel), data: set, grid: try grid(),
            directions: .random(DirectionSpec(seed: seed, normalization: norm, ignore: ignore, mode: mode)),
            bnMode: bn, bnRecomputation: recompute, store: try SurfaceStore(directory: URL(fileURLWithPath: out)), evaluator: Evaluator(threads: threads, algorithm: convolution))
        try SurfaceRunner.run(computation, samples: set.data.count)
    }
}

struct InterpolateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "interpolate",
        abstract: "Loss along the straight line from model A (x = 0) to model B (x = 1), BN statistics included.")

    @Argument(help: "Model A (x = 0).") var a: String
    @Argument(help: "Model B (x = 1).") var b: String
    @OptionGroup var data: DataOptions
    @Option(parsing: .unconditional, help: "x axis START:END:COUNT.") var x = "-0.5:1.5:41"
    @Option(help: "Number of samples (chosen by --subset; default \(EvaluationSetRequest.defaultSurfaceSamples), or every image of a smaller split).")
    var samples: Int?
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "3x3 convolutions: winograd (stride 1; the default where the CPU has AVX2+FMA), direct, or im2col (the portable path).")
    var convolution = ConvolutionAlgorithm.preferred
    @Option(help: "Output directory.") var out = "surfaces"

    func run() throws {
        let start = try LoadedModel.load(URL(fileURLWithPath: a)), end = try LoadedModel.load(URL(fileURLWithPath: b))
        let set = try EvaluationSet.build(try data.request(samples: samples ?? EvaluationSetRequest.defaultSurfaceSamples,
                                                           samplesAtMost: samples == nil), card: start.card)
        try start.checkInput(set)
        let computation = try SurfaceComputation(
            models: [start.surfaceModel], data: set, grid: try GridSpec(x: GridAxis(parsing: x), y: nil),
            directions: .interpolation(to: end.surfaceModel),
            store: try SurfaceStore(directory: URL(fileURLWithPath: out)), evaluator: Evaluator(threads: threads, algorithm: convolution))
        try SurfaceRunner.run(computation, samples: set.data.count)
    }
}

/// Runs a computation with a progress bar and Ctrl-C → save and stop.
enum SurfaceRunner {
    static func run(_ computation: SurfaceComputation, samples: Int) throws {
        let cancel = CancellationFlag()
        InterruptHandler.install(cancel)
        let bar = ProgressBar(unit: "points")
        let surfaces: [Surface]
        do {
            surfaces = try computation.run(cancel: cancel) { step in bar.update(step.report) }
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

extension DirectionNormalization: ExpressibleByArgument {}
extension DirectionIgnore: ExpressibleByArgument {}
extension DirectionMode: ExpressibleByArgument {}
extension BatchNormMode: ExpressibleByArgument {}
