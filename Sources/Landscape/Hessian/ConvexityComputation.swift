import Foundation
import LandscapeCore
import LandscapeEngine
import LandscapeIO

/// Computes a convexity map for an existing surface (Li et al. 2018, §6): at
/// each point of its grid (or sub-grid) the weights are set to θ + αx + βy with
/// the surface's own directions (read from its directions file, so the points
/// are exactly the surface's plane), and one Lanczos run with full
/// reorthogonalization on the exact Hessian of the mean cross-entropy
/// (eval-mode BatchNorm, every trainable tensor) finds λmax and λmin together,
/// iterated until both Ritz pairs have converged.
///
/// Li et al. instead call `eigsh` twice (λmax, then the largest eigenvalue of
/// H − 0.51·λmax·I for λmin) on the conv and linear weights only; both are
/// Lanczos methods with the same tolerance (1e-2).
///
/// Every finished point is kept: the map is written atomically after each one,
/// and a run on an existing map of the same settings skips its finished points.
public final class ConvexityComputation: @unchecked Sendable {
    public let surface: Surface
    public let surfaceURL: URL
    public let model: LoadedModel
    public let data: SurfaceData
    public let x: Direction
    public let y: Direction?
    public let options: ConvexitySpec.Validated
    public let output: URL
    public let threads: Int
    /// The map as it stands (finished points of an earlier run included).
    public private(set) var map: ConvexityMap
    /// Points found finished in an existing map at `output` when this computation was set up.
    public let resumedPoints: Int

    /// Reads and checks everything before any product: the spec's fields, the surface, its
    /// directions file, the model (its sha256 against the surface's), the images, the points
    /// against the limits, and an existing map at `output` (resumed only if it has the same key).
    public init(spec: ConvexitySpec, limits: ConvexityLimits, output: URL,
                threads: Int = ProcessInfo.processInfo.activeProcessorCount) throws {
        let options = try spec.validated(limits: limits)
        let surfaceURL = URL(fileURLWithPath: spec.surface)
        let surface = try Surface.load(spec.surface)
        let path = surfaceURL.path
        guard surface.bnMode == .eval else {
            throw SpecError("surface", "\(path) was computed with BatchNorm mode '\(surface.bnMode.rawValue)': the Hessian is taken "
                            + "with BatchNorm in eval mode, so expected a surface with bn_mode 'eval'")
        }
        guard let directionsName = surface.directions.file else {
            throw SpecError("surface", "\(path) names no directions file (directions.file is null): expected a surface written by "
                            + "`landscape surface`, whose directions are saved beside it")
        }
        // The sub-grid, then the limits: all before a model or dataset is read.
        let columnIndices = Self.subgrid(surface.x, stride: options.stride)
        let rowIndices = surface.y.map { Self.subgrid($0, stride: options.stride) }
        try ConvexitySpec.check(points: columnIndices.count * (rowIndices?.count ?? 1), lanczosSteps: options.lanczosSteps,
                                limits: limits, surface: path)

        let modelURL = try spec.model.map { URL(fileURLWithPath: $0) } ?? Self.recordedModel(of: surface, at: surfaceURL)
        let activation = try Activation(parsing: surface.model.activation)
        let model = try LoadedModel.load(modelURL, activation: activation)
        guard model.sha256 == surface.model.sha256 else {
            throw SpecError("model", "\(modelURL.path) has sha256 \(model.sha256.prefix(12))…, but surface \(path) was computed on "
                            + "\(surface.model.name) with sha256 \(surface.model.sha256.prefix(12))…: expected that checkpoint")
        }

        let directionsURL = surfaceURL.deletingLastPathComponent().appendingPathComponent(directionsName)
        let pair: (x: Direction, y: Direction?)
        do {
            pair = try DirectionFile.directions(from: try Checkpoint.load(directionsURL), layout: model.model.layout)
        } catch let error as LandscapeError {
            throw LandscapeError.invalidDirections("\(directionsURL.path) (the directions of surface \(path)): \(error)")
        }
        guard (pair.y == nil) == (surface.y == nil) else {
            throw LandscapeError.invalidDirections("\(directionsURL.path) holds \(pair.y == nil ? "only x" : "x and y") directions, "
                                                   + "but surface \(path) is \(surface.y == nil ? "1D" : "2D"): expected its own directions file")
        }

        let info = surface.dataset
        var split: DatasetSplit?
        if info.split != "file" { split = try SpecError.choice(info.split, field: "dataset.split") as DatasetSplit }
        let subset: SubsetRule = try SpecError.choice(info.subset, field: "dataset.subset")
        let request = EvaluationSetRequest(
            path: spec.dataset ?? info.path, split: split, samples: options.samples ?? info.samples,
            subset: subset, subsetSeed: info.subsetSeed,
            normalization: Normalization(mean: info.mean.map(Float.init), std: info.std.map(Float.init)))
        let data = try EvaluationSet.build(request, card: model.card)
        try model.checkInput(data)
        if data.info.samples == info.samples, data.info.contentSha256 != info.contentSha256 {
            throw SpecError("dataset", "\(request.path): its \(info.samples) \(info.subset) images are not the ones surface \(path) "
                            + "was computed on (content sha256 \(data.info.contentSha256.prefix(12))… vs \(info.contentSha256.prefix(12))…)")
        }

        let key = SHA256.hex(["convexity", String(ConvexityMap.formatVersion), surface.id, data.info.contentSha256,
                              String(options.stride), String(options.lanczosSteps), String(options.tolerance),
                              String(options.seed)].joined(separator: "|")).prefix(16)
        var resumed = 0
        var map: ConvexityMap
        if FileManager.default.fileExists(atPath: output.path) {
            map = try ConvexityMap.load(output.path)
            guard map.id == String(key) else {
                throw SpecError("out", "\(output.path) holds a convexity map of other settings (id \(map.id), surface \(map.surfaceId), "
                                + "stride \(map.stride), \(map.lanczosSteps) Lanczos steps, \(map.samples) images, seed \(map.seed)); "
                                + "expected a new file, or the map of these settings to resume")
            }
            resumed = map.progress.computed
        } else {
            func empty<T>() -> [[T?]] { Array(repeating: Array(repeating: nil, count: columnIndices.count), count: rowIndices?.count ?? 1) }
            map = ConvexityMap(
                id: String(key), surfaceId: surface.id, surfaceFile: path, model: surface.model, dataset: data.info,
                directions: surface.directions,
                hessian: "mean cross-entropy, BatchNorm in eval mode, with respect to every trainable tensor",
                stride: options.stride, columnIndices: columnIndices, rowIndices: rowIndices,
                x: columnIndices.map { surface.x[$0] }, y: rowIndices.map { $0.map { surface.y![$0] } },
                maxEigenvalue: empty(), minEigenvalue: empty(), ratio: empty(), maxResidual: empty(), minResidual: empty(),
                steps: empty(), loss: empty(), samples: data.data.count, seed: options.seed, lanczosSteps: options.lanczosSteps,
                tolerance: options.tolerance,
                progress: Surface.Progress(computed: 0, total: columnIndices.count * (rowIndices?.count ?? 1), order: "row-major"),
                timing: ConvexityMap.Timing(seconds: 0, products: 0, secondsPerProduct: 0, threads: threads,
                                            updated: SurfaceComputation.timestamp()),
                producer: "landscape \(LandscapeVersion.current)")
        }
        self.surface = surface; self.surfaceURL = surfaceURL; self.model = model; self.data = data
        self.x = pair.x; self.y = pair.y; self.options = options; self.output = output; self.threads = threads
        self.map = map; self.resumedPoints = resumed
    }

    /// The checkpoint a surface records it was computed on. A surface moved with its model keeps
    /// the absolute path of the machine that computed it (the shipped Models/surfaces/*.json record
    /// /work/main/Models/…), so where that path is gone the file of the same name is looked for
    /// beside the surface and one folder up, the layout of Models/; the caller checks its sha256.
    static func recordedModel(of surface: Surface, at surfaceURL: URL) throws -> URL {
        let path = surfaceURL.path
        guard let recorded = surface.model.path else {
            throw SpecError("model", "\(path) records no model path: give the checkpoint (sha256 \(surface.model.sha256.prefix(12))…)")
        }
        let recordedURL = URL(fileURLWithPath: recorded)
        let folder = surfaceURL.deletingLastPathComponent()
        let candidates = [recordedURL, folder.appendingPathComponent(recordedURL.lastPathComponent),
                          folder.deletingLastPathComponent().appendingPathComponent(recordedURL.lastPathComponent)]
        guard let found = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else {
            throw SpecError("model", "\(path) was computed on \(recorded), which does not exist, and no \(recordedURL.lastPathComponent) "
                            + "is beside the surface or one folder up: give the checkpoint (sha256 \(surface.model.sha256.prefix(12))…)")
        }
        return found
    }

    /// Every `stride`-th index of an axis, counted from its point at 0 (the trained model) where it has
    /// one, else from its first point: a coarse map always holds the centre.
    public static func subgrid(_ axis: [Double], stride: Int) -> [Int] {
        let span = axis.map(abs).max() ?? 0
        let anchor = axis.firstIndex { abs($0) <= 1e-9 * span } ?? 0
        return axis.indices.filter { ($0 - anchor) % stride == 0 }
    }

    /// The weights at map point `index` (row-major over the sub-grid): θ + αx + βy.
    public func weights(atPoint index: Int) -> ResNetModel {
        let alpha = map.x[index % map.columns]
        let beta = map.y.map { $0[index / map.columns] } ?? 0
        return Directions.perturbed(model.model, x: x, alpha: alpha, y: y, beta: beta)
    }

    /// Computes every point not yet finished, in row-major order, writing the map after each one.
    /// `onProgress` gets one report per point; a cancellation stops after the current product
    /// (throwing `EngineError.cancelled`) with every finished point on disk.
    @discardableResult
    public func run(cancel: CancellationFlag = CancellationFlag(),
                    onProgress: (ProgressReport) -> Void = { _ in }) throws -> ConvexityMap {
        let start = Date()
        let earlierSeconds = map.timing.seconds
        // The map as it stands first, so an unwritable --out fails before the first product, not after it.
        try SurfaceStore.writeAtomically(try LandscapeJSON.encode(map), to: output)
        var pointsThisRun = 0
        for index in 0..<map.pointCount where !map.isComputed(index) {
            if cancel.isCancelled { throw EngineError.cancelled }
            let hessian = try HessianOperator(model: weights(atPoint: index), data: data.data, threads: threads, cancel: cancel)
            let spectrum = SpectrumOptions(top: 1, negative: true, lanczosSteps: options.lanczosSteps, tolerance: options.tolerance,
                                           traceProbes: 0, density: false, densityRuns: 0, densitySteps: 0, seed: options.seed)
            let result = try SpectrumComputation.run(hessian, spectrum)
            guard let largest = result.top.first, let smallest = result.smallest else {
                throw LandscapeError.invalidRequest("convexity map point \(index): the Lanczos run returned no Ritz values")
            }
            let (row, column) = (index / map.columns, index % map.columns)
            map.maxEigenvalue[row][column] = largest.value
            map.minEigenvalue[row][column] = smallest.value
            map.ratio[row][column] = ConvexityMap.ratio(min: smallest.value, max: largest.value)
            map.maxResidual[row][column] = largest.residual
            map.minResidual[row][column] = smallest.residual
            map.steps[row][column] = result.lanczosSteps
            map.loss[row][column] = hessian.loss
            map.progress.computed += 1
            pointsThisRun += 1
            let elapsed = Date().timeIntervalSince(start)
            map.timing.seconds = earlierSeconds + elapsed
            map.timing.products += hessian.productCount
            map.timing.secondsPerProduct = map.timing.seconds / Double(max(map.timing.products, 1))
            map.timing.threads = threads
            map.timing.noteKernel(hessian.kernel)
            map.timing.updated = SurfaceComputation.timestamp()
            try SurfaceStore.writeAtomically(try LandscapeJSON.encode(map), to: output)
            let rate = Double(pointsThisRun) / max(elapsed, 1e-9)
            onProgress(ProgressReport(label: "convexity (α \(Ticks.short(map.x[column]))"
                                          + (map.y.map { ", β \(Ticks.short($0[row]))" } ?? "") + ")",
                                      done: map.progress.computed, total: map.progress.total, elapsedSeconds: elapsed, rate: rate,
                                      etaSeconds: Double(map.progress.total - map.progress.computed) / rate))
        }
        return map
    }
}

/// Short coordinates for progress labels.
private enum Ticks {
    static func short(_ value: Double) -> String { String(format: "%.3g", value) }
}
