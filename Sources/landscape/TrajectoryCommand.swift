import ArgumentParser
import Foundation
import LandscapeCore
import Landscape
import LandscapeEngine
import LandscapePictures

extension PrincipalComponents.Method: ExpressibleByArgument {}

struct TrajectoryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trajectory",
        abstract: "PCA plane of a training path: the top two principal components of the snapshots (θ_i − θ_final).",
        discussion: """
        Reads the snapshots of `landscape train --snapshots DIR [--snapshot-every STEPS]`, computes PC1 and PC2 \
        in float64 (as Li et al.'s projection.py: rows centred, 1-D tensors ignored with --ignore biasbn), and \
        writes OUT/trajectory.json (explained variance, each snapshot's coordinates, the angle of the end-to-end \
        vector with the plane) and OUT/directions.safetensors for `landscape surface --directions pca:OUT`.
        """)

    @Option(help: "Directory of training snapshots (at least 3).") var snapshots: String
    @Option(help: "The final model (the plane's origin).") var model: String
    @Option(help: "weights (parameters only) or states (BN running statistics too).") var mode: DirectionMode = .weights
    @Option(help: "1-D tensors (BN, biases): biasbn (ignored, as the reference's --ignore biasbn) or none.")
    var ignore: DirectionIgnore = .biasbn
    @Option(help: "gram-eigen (dsyrk + dsyev) or svd (dgesdd), both float64.") var method: PrincipalComponents.Method = .gramEigen
    @Option(help: "Output directory (trajectory.json, directions.safetensors).") var out: String
    @Option(help: "Evaluate every snapshot on this dataset's test split (a 1D picture of test loss and accuracy along the path).")
    var data: String?
    @Option(help: "Test images per snapshot with --data (the first N).") var samples = EvaluationSetRequest.defaultSurfaceSamples
    @Option(help: "Worker threads for --data.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "PNG of loss and accuracy along the path, per snapshot (written atomically).") var plot: String?

    var spec: TrajectorySpec {
        var spec = TrajectorySpec(snapshots: snapshots, model: model)
        spec.mode = mode
        spec.ignore = ignore
        spec.method = method
        return spec
    }

    func validate() throws {
        guard samples >= 1, threads >= 1 else { throw ValidationError("--samples and --threads must be at least 1") }
        if let plot, !plot.hasSuffix(".png") { throw ValidationError("--plot must end in .png, got '\(plot)'") }
        do { try spec.validated(limits: TrajectoryLimits()) } catch let error as SpecError {
            throw ValidationError("--\(error.field): \(error.problem)")
        }
    }

    func run() throws {
        let start = Date()
        let input = try TrajectoryInput.load(spec)
        let loaded = Date()
        var result = try TrajectoryComputation.compute(input)
        var computed = Date()
        if let data {
            let set = try EvaluationSet.build(EvaluationSetRequest(path: data, split: .test, samples: samples, samplesAtMost: true),
                                              card: input.final.card)
            try input.final.checkInput(set)
            try TrajectoryComputation.evaluate(&result, input, on: set, evaluator: Evaluator(threads: threads)) { done, total in
                FileHandle.standardError.write(Data("\revaluated \(done)/\(total) snapshots".utf8))
            }
            FileHandle.standardError.write(Data("\n".utf8))
            computed = Date()
        }
        try TrajectoryComputation.write(result, layout: input.final.model.layout, to: URL(fileURLWithPath: out))
        let t = result.trajectory
        print("\(t.points.count) snapshots of \(input.final.model.architecture.description), \(t.coordinates) coordinates (\(t.mode.rawValue), ignore \(t.ignore.rawValue))")
        print(String(format: "explained variance: PC1 %.2f %%, PC2 %.2f %% (sum %.2f %%); pc1·pc2 = %.1e",
                     t.explainedVarianceRatio[0] * 100, t.explainedVarianceRatio[1] * 100,
                     (t.explainedVarianceRatio[0] + t.explainedVarianceRatio[1]) * 100, t.componentCosine))
        print(String(format: "end-to-end vector: norm %.4g, %.1f° from the plane (cos with PC1 %.3f, PC2 %.3f)",
                     t.endToEnd.norm, t.endToEnd.angleToPlaneDegrees, t.endToEnd.cosines[0], t.endToEnd.cosines[1]))
        if let plot {
            let picture = try Pictures.trajectory(t)
            try picture.write(to: URL(fileURLWithPath: plot))
            print("wrote \(plot)")
        }
        print(String(format: "read %.2f s, PCA %.2f s (%@); wrote %@/%@ and %@", loaded.timeIntervalSince(start),
                     computed.timeIntervalSince(loaded), t.method.rawValue + (data == nil ? "" : " and evaluation"), out, Trajectory.fileName, Trajectory.directionsFileName))
    }
}
