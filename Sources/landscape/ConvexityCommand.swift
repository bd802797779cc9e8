import ArgumentParser
import Foundation
import Landscape
import LandscapeEngine

struct ConvexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "convexity",
        abstract: "Convexity map of a surface (Li et al. §6): λmax, λmin and |λmin/λmax| of the Hessian at its grid points.",
        discussion: """
        At every point of the surface's grid (or every --stride-th point along each axis, counted from the centre) the weights \
        are set to θ + αx + βy with the surface's own directions file, and one Lanczos run on exact Hessian-vector \
        products of the mean cross-entropy (BatchNorm in eval mode, every trainable tensor) finds the largest and the \
        smallest eigenvalue. The map (grid coordinates, max_eigenvalue, min_eigenvalue, ratio, samples, seed, timing, \
        surface_id) is written to --out after every point; run the same command again to resume an interrupted map. \
        Draw it beside the surface with `landscape render S.json --convexity MAP.json`.
        """)

    @Option(help: "Surface JSON written by `landscape surface` (its directions file beside it).") var surface: String
    @Option(help: "Checkpoint, if it is neither where the surface says nor beside it or one folder up (must have the surface's sha256).") var model: String?
    @Option(name: .customLong("data"), help: "Dataset, if it is no longer where the surface says.") var dataset: String?
    @Option(help: "Images in the loss, by the surface's subset rule (default: the surface's own images).") var samples: Int?
    @Option(help: "Every K-th grid point along each axis, counted from the centre α = β = 0 (or the first point; 1: every point).")
    var stride = ConvexitySpec(surface: "").stride
    @Option(help: "Most Lanczos steps per point (stops once λmax and λmin have converged).")
    var lanczosSteps = ConvexitySpec(surface: "").lanczosSteps
    @Option(help: "Seed of the Lanczos start vectors.") var seed: UInt64 = 0
    @Option(help: "Worker threads.") var threads = ProcessInfo.processInfo.activeProcessorCount
    @Option(help: "Output map JSON (resumed if it holds an unfinished map of the same settings).") var out: String

    var spec: ConvexitySpec {
        var spec = ConvexitySpec(surface: surface)
        spec.model = model; spec.dataset = dataset; spec.samples = samples
        spec.stride = stride; spec.lanczosSteps = lanczosSteps; spec.seed = seed
        return spec
    }

    /// The CLI keeps the point and product caps (a map past them runs for days) but not the sample cap.
    var limits: ConvexityLimits {
        var limits = ConvexityLimits()
        limits.maximumSamples = .max
        return limits
    }

    static let renamed = ["dataset": "--data", "surface": "--surface", "out": "--out"]

    func validate() throws {
        guard threads >= 1 else { throw ValidationError("--threads: expected 1 or more, got \(threads)") }
        do { _ = try spec.validated(limits: limits) } catch let error as SpecError {
            throw ValidationError(SpecFlags.of(error, renamed: Self.renamed))
        }
    }

    func run() throws {
        let computation: ConvexityComputation
        do {
            computation = try ConvexityComputation(spec: spec, limits: limits, output: URL(fileURLWithPath: out), threads: threads)
        } catch let error as SpecError {
            throw LandscapeError.invalidRequest(SpecFlags.of(error, renamed: Self.renamed))
        }
        let map0 = computation.map
        print("surface \(map0.surfaceId) (\(map0.model.name)): \(map0.pointCount) points (stride \(map0.stride)), "
              + "\(map0.samples) images, up to \(map0.lanczosSteps) Lanczos steps each"
              + (computation.resumedPoints > 0 ? "; resuming with \(computation.resumedPoints) done" : ""))
        let cancel = CancellationFlag()
        InterruptHandler.install(cancel, message: "interrupted: stopping after the current product…")
        let bar = ProgressBar(unit: "points")
        let map: ConvexityMap
        do {
            map = try computation.run(cancel: cancel) { bar.update($0) }
        } catch EngineError.cancelled {
            bar.finish()
            print("stopped; \(computation.map.progress.computed) of \(computation.map.progress.total) points are in \(out): "
                  + "run the same command to resume.")
            throw ExitCode(130)
        }
        let ratios = map.ratio.flatMap { $0 }.compactMap { $0 }
        let centre = map.x.firstIndex(of: 0).flatMap { c in (map.y.map { $0.firstIndex(of: 0) } ?? 0).map { ($0, c) } }
        print("map: \(out)")
        if let (row, column) = centre, let high = map.maxEigenvalue[row][column], let low = map.minEigenvalue[row][column] {
            print(String(format: "  centre: λmax %.4f, λmin %.4f, |λmin/λmax| %.4f", high, low, abs(low / high)))
        }
        if let top = ratios.max(), let bottom = ratios.min() {
            print(String(format: "  |λmin/λmax| from %.4f to %.4f over %d points", bottom, top, ratios.count))
        }
        print(String(format: "  %d products, %.2f s each, %.1f s in all", map.timing.products, map.timing.secondsPerProduct,
                     map.timing.seconds))
    }
}
