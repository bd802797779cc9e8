import Foundation
import LandscapeEngine

/// A model to compute a surface for, with what the JSON records about it.
public struct SurfaceModel: Sendable {
    public var model: ResNetModel
    public var info: Surface.ModelInfo
    public init(model: ResNetModel, info: Surface.ModelInfo) { self.model = model; self.info = info }
}

/// The evaluation subset and its description.
public struct SurfaceData: Sendable {
    public var data: EvaluationData
    public var info: Surface.DatasetInfo
    public init(data: EvaluationData, info: Surface.DatasetInfo) { self.data = data; self.info = info }
}

/// Where the directions of a surface come from.
public enum DirectionSource: Sendable {
    /// Seeded random directions, the same raw ones for every model, each normalized to its own weights.
    case random(DirectionSpec)
    /// x = B − A over every tensor (BN statistics too): x = 0 is A, x = 1 is B (Goodfellow et al. 2015).
    case interpolation(to: SurfaceModel)
    /// x = B − A, y = C − A: the plane through three models, A at the origin.
    case plane(through: SurfaceModel, and: SurfaceModel)
    /// x = PC1, y = PC2 of a training path (unit vectors), the final model at the origin.
    case pca(PCAPlane)
    /// x, y = the top-2 Hessian eigenvectors of the model (unit vectors, not normalized), the model at the origin.
    case hessian(HessianPlane)
}

/// Computes one surface per model around its trained weights with shared raw
/// directions, point by point in coarse-to-fine order, saving after each
/// point so a killed run resumes where it stopped.
public final class SurfaceComputation: @unchecked Sendable {
    public let models: [SurfaceModel]
    public let data: SurfaceData
    public let grid: GridSpec
    public let directionSpec: DirectionSpec
    public let source: DirectionSource
    public let bnMode: BatchNormMode
    public let bnRecomputation: BatchNormRecomputation?
    public let store: SurfaceStore
    public let evaluator: Evaluator
    public let directions: [(x: Direction, y: Direction?)]
    /// Where the time goes, phase by phase (`landscape surface --profile`), or nil.
    public let profile: SurfaceProfile?
    /// Recompute mode: one training-mode network per model (its activation), built on first use.
    private var recomputeNetworks: [TrainingNetwork]?
    private let evaluationLock = NSLock()

    /// `sharedDirections`: the directions another process computed from the same source (MPI rank 0,
    /// LandscapeDistributed), used as they are instead of being generated again here.
    public init(models: [SurfaceModel], data: SurfaceData, grid: GridSpec, directions source: DirectionSource,
                bnMode: BatchNormMode = .eval, bnRecomputation: BatchNormRecomputation? = nil,
                store: SurfaceStore, evaluator: Evaluator = Evaluator(),
                sharedDirections: [(x: Direction, y: Direction?)]? = nil, profile: SurfaceProfile? = nil) throws {
        let directionsStart = Date()
        guard !models.isEmpty else { throw LandscapeError.invalidRequest("no model given") }
        switch (bnMode, bnRecomputation) {
        case (.recompute, nil):
            throw LandscapeError.invalidRequest("BN mode 'recompute' needs the training images to re-estimate statistics from")
        case (.eval, .some):
            throw LandscapeError.invalidRequest("BN mode 'eval' uses the running statistics: training images for re-estimation are not expected")
        case (.recompute, .some(let recompute)):
            let images = recompute.images
            guard images.channels == data.data.channels, images.height == data.data.height, images.width == data.data.width else {
                throw LandscapeError.invalidRequest("bn recompute images are \(images.channels)x\(images.height)x\(images.width), "
                    + "evaluation images \(data.data.channels)x\(data.data.height)x\(data.data.width): expected the same")
            }
        case (.eval, nil): break
        }
        for m in models where m.model.architecture.inputChannels != data.data.channels {
            throw LandscapeError.invalidRequest("model \(m.info.name) takes \(m.model.architecture.inputChannels)-channel images, dataset \(data.info.name) has \(data.data.channels)")
        }
        self.bnRecomputation = bnRecomputation
        self.models = models
        self.data = data
        self.grid = grid
        self.source = source
        self.bnMode = bnMode
        self.store = store
        self.evaluator = evaluator
        self.profile = profile
        switch source {
        case .random(let spec):
            directionSpec = spec
            directions = try sharedDirections ?? Directions.shared(for: models.map(\.model), spec: spec, twoDimensional: grid.isTwoDimensional)
        case .interpolation(let target):
            guard models.count == 1, !grid.isTwoDimensional else {
                throw LandscapeError.invalidRequest("interpolation takes one start model and a 1D grid")
            }
            try Self.checkEndpoints(models[0], [target], grid: grid)
            directionSpec = DirectionSpec(seed: 0, normalization: .none, ignore: .none, mode: .states)
            directions = try sharedDirections ?? [(try Directions.between(models[0].model, target.model), nil)]
        case let .plane(b, c):
            guard models.count == 1, grid.isTwoDimensional else {
                throw LandscapeError.invalidRequest("a plane through three models takes one origin model and a 2D grid")
            }
            try Self.checkEndpoints(models[0], [b, c], grid: grid)
            directionSpec = DirectionSpec(seed: 0, normalization: .none, ignore: .none, mode: .states)
            directions = try sharedDirections ?? [(try Directions.between(models[0].model, b.model), try Directions.between(models[0].model, c.model))]
        case .pca(let plane):
            guard models.count == 1, grid.isTwoDimensional else {
                throw LandscapeError.invalidRequest("a PCA plane takes one model (the trajectory's final model) and a 2D grid")
            }
            guard models[0].info.sha256 == plane.trajectory.model.sha256 else {
                throw LandscapeError.invalidDirections("pca:\(plane.directory) belongs to another final model than \(models[0].info.name)")
            }
            directionSpec = DirectionSpec(seed: 0, normalization: .none, ignore: plane.trajectory.ignore, mode: plane.trajectory.mode)
            directions = sharedDirections ?? [(plane.x, plane.y)]
        case .hessian(let plane):
            guard models.count == 1, grid.isTwoDimensional else {
                throw LandscapeError.invalidRequest("Hessian axes take one model (the one the Hessian run measured) and a 2D grid")
            }
            guard models[0].info.sha256 == plane.spectrum.model.sha256, models[0].info.activation == plane.spectrum.model.activation else {
                throw LandscapeError.invalidDirections("hessian:\(plane.directory)/\(plane.spectrumFile) is the spectrum of "
                    + "\(plane.spectrum.model.name) (sha256 \(plane.spectrum.model.sha256.prefix(12))…), not of \(models[0].info.name) "
                    + "(\(models[0].info.sha256.prefix(12))…): expected the Hessian run of the surface's model")
            }
            guard plane.x.values.count == models[0].model.layout.totalCount else {
                throw LandscapeError.invalidDirections("hessian:\(plane.directory): eigenvectors of \(plane.x.values.count) values, "
                    + "model \(models[0].info.name) has \(models[0].model.layout.totalCount): expected the same layout")
            }
            // Eigenvectors move the trainable tensors only; BN running statistics stay fixed.
            directionSpec = DirectionSpec(seed: plane.spectrum.seed, normalization: .none, ignore: .none, mode: .weights)
            directions = sharedDirections ?? [(plane.x, plane.y)]
        }
        for (index, pair) in directions.enumerated() {
            let count = models[index].model.layout.totalCount
            guard directions.count == models.count, pair.x.values.count == count, pair.y?.values.count ?? count == count,
                  (pair.y != nil) == grid.isTwoDimensional else {
                throw LandscapeError.invalidDirections("shared directions for model \(index) do not fit its \(count) parameters and the grid")
            }
        }
        profile?.add(.directions, Date().timeIntervalSince(directionsStart))
    }

    /// Runs `body`, adding its wall time to `phase` of the profile when there is one.
    private func timed<T>(_ phase: SurfaceProfile.Phase, _ body: () throws -> T) rethrows -> T {
        guard let profile else { return try body() }
        return try profile.measure(phase, body)
    }

    /// The line (plane) between models is only meaningful between two weight settings of one
    /// function: with different activations, x = 1 would evaluate B's weights with A's activation
    /// (the Swish model through ReLU: loss 6.57, 10 % accuracy, silently). And a grid that spans a
    /// model must contain it, or the curve never shows the models themselves.
    static func checkEndpoints(_ origin: SurfaceModel, _ endpoints: [SurfaceModel], grid: GridSpec) throws {
        for end in endpoints {
            let (a, b) = (origin.model.architecture, end.model.architecture)
            guard a.activation == b.activation else {
                throw LandscapeError.invalidRequest("\(origin.info.name) uses \(a.activation.name), \(end.info.name) uses "
                    + "\(b.activation.name): a line between them would evaluate one model's weights with the other's activation; "
                    + "expected models with the same activation")
            }
        }
        for (name, axis) in [("x", grid.x), ("y", grid.y)] {
            if let problem = axis?.modelPointProblem() { throw LandscapeError.invalidGrid("\(name) axis \(problem)") }
        }
    }

    /// "random", "interpolation" or "plane", and the models the fixed directions point to.
    var sourceDescription: (kind: String, endpoints: [Surface.ModelInfo]) {
        switch source {
        case .random: return ("random", [])
        case .interpolation(let b): return ("interpolation", [b.info])
        case let .plane(b, c): return ("plane", [b.info, c.info])
        case .pca: return ("pca", [])
        case .hessian: return ("hessian", [])
        }
    }

    /// The content key of model i's surface.
    public func key(for index: Int) -> String {
        let spec = directionSpec
        let source = sourceDescription
        // The activation is part of the model but not of its bytes (it comes from the card or a flag).
        let model = models[index].info
        let parts = ["surface-v\(Surface.formatVersion)", model.sha256, model.activation, data.info.contentSha256,
                     source.kind] + source.endpoints.map(\.sha256) + pcaKeyParts + hessianKeyParts + [
                     "seed=\(spec.seed)", spec.normalization.rawValue, spec.ignore.rawValue, spec.mode.rawValue,
                     grid.description, bnMode.rawValue] + (bnRecomputation.map { [$0.keyPart] } ?? [])
        return String(SHA256.hex(parts.joined(separator: "|")).prefix(16))
    }

    /// The trajectory and its directions' bytes, for a PCA surface's key.
    private var pcaKeyParts: [String] {
        guard case .pca(let plane) = source else { return [] }
        return [plane.trajectory.id, plane.directionsSha256]
    }

    /// The spectrum's run and its eigenvectors' bytes, for a Hessian surface's key.
    private var hessianKeyParts: [String] {
        guard case .hessian(let plane) = source else { return [] }
        return [plane.spectrumFile, plane.eigenvectorsSha256] + plane.eigenvalues.map { "\($0)" }
    }

    /// What the directions file records beyond the spec: the kind, and for Hessian axes the eigenvalues and their run.
    private var directionsMetadata: [String: String] {
        guard case .hessian(let plane) = source else { return [:] }
        return ["kind": "hessian", "eigenvalues": plane.eigenvalues.map { "\($0)" }.joined(separator: ","),
                "hessian_run": plane.spectrumFile, "eigenvectors_sha256": plane.eigenvectorsSha256]
    }

    /// The stored (possibly partial) surface of model i, or a fresh empty one.
    public func initialSurface(for index: Int) throws -> Surface {
        let key = key(for: index)
        if let stored = try store.load(id: key) { return stored }
        let empty = [[Double?]](repeating: [Double?](repeating: nil, count: grid.columns), count: grid.rows)
        let source = sourceDescription
        let note = source.kind == "random"
            ? "the same raw Gaussian directions (seed \(directionSpec.seed)) for every model listed in shared_with, each normalized to its own weights"
            : source.kind == "hessian"
            ? "x, y = the top-2 Hessian eigenvectors (unit vectors over the trainable tensors, not normalized; eigenvalues in "
              + "'eigenvalues'): coordinate a moves the weights by |a| in L2 norm, so L(a) ≈ L0 + (g·v1) a + λ1 a²/2 along x"
            : source.kind == "pca"
            ? "x = PC1, y = PC2 of the training path (unit vectors, not normalized), the final model at the origin; the path is in 'path'"
            : "fixed directions to the endpoint models (x = B - A" + (source.kind == "plane" ? ", y = C - A" : "") + "), BN statistics included"
        let info = Surface.DirectionsInfo(
            kind: source.kind, seed: directionSpec.seed, normalization: directionSpec.normalization, ignore: directionSpec.ignore,
            mode: directionSpec.mode, sharedWith: models.map(\.info.name), endpoints: source.endpoints,
            file: store.directionsFileName(id: key), note: note)
        var surface = Surface(id: key, model: models[index].info, dataset: data.info, directions: info, bnMode: bnMode,
                       grid: grid, x: grid.x.coordinates, y: grid.y?.coordinates, loss: empty, accuracy: empty,
                       lossStderr: empty, summary: nil,
                       progress: .init(computed: 0, total: grid.pointCount, order: "coarse-to-fine"),
                       timing: .init(seconds: 0, imagesPerSecond: nil, updated: Self.timestamp()),
                       producer: "landscape \(LandscapeVersion.current)", bnRecompute: bnRecomputation?.info)
        if case .pca(let plane) = self.source { surface.path = plane.path }
        if case .hessian(let plane) = self.source { surface.directions.eigenvalues = plane.eigenvalues }
        return surface
    }

    /// What `run` reports after each point.
    public struct Step: Sendable {
        public var report: ProgressReport
        /// The surface the point belongs to, with the point filled in.
        public var surface: Surface
        /// Flat index (row · columns + column) of the point just computed.
        public var point: Int
    }

    /// Computes every missing point of every model's surface, its points evaluated by `runner`
    /// (this process by default, or the ranks of an MPI job). `onProgress` is called after each
    /// point with the overall progress and the surface so far, once the point is saved. Every point is
    /// saved as it arrives (points that arrive together, in one write), by a writer thread while the
    /// next point is computed (`SurfaceWriter`), so its report comes when that write is done. Throws
    /// `EngineError.cancelled` when `cancel` is set (finished points are saved, except those that
    /// finished after an `onProgress` call set it).
    @discardableResult
    public func run(on runner: any SurfaceTaskRunner = LocalTaskRunner(), cancel: CancellationFlag = CancellationFlag(),
                    onProgress: (Step) -> Void = { _ in }) throws -> [Surface] {
        var surfaces = try models.indices.map { try initialSurface(for: $0) }
        let order = ProgressiveOrder.order(for: grid)
        let total = surfaces.count * grid.pointCount
        var done = surfaces.reduce(0) { $0 + $1.progress.computed }
        let startedWith = done
        let start = Date()
        for index in models.indices {
            let keyFile = store.directionsFileName(id: surfaces[index].id)
            if !store.exists(keyFile) {
                try timed(.saveDirections) {
                    try store.saveDirections(directions[index], layout: models[index].model.layout,
                                             spec: directionSpec, fileName: keyFile, metadata: directionsMetadata)
                }
            }
        }
        // Point-major: every model gets the coarse lattice before any gets the fine one,
        // so side-by-side partial surfaces fill in together.
        let tasks = order.flatMap { point in
            models.indices.filter { !surfaces[$0].isComputed(point) }.map { SurfaceTask(model: $0, point: point) }
        }
        // Points are written on the writer's thread while the next ones are computed, and reported
        // once their write is done: progress never counts a point a crash could still lose.
        let writer = SurfaceWriter(store: store, profile: profile)
        var unsaved: [SurfaceTask] = []
        var writing: [(task: SurfaceTask, surface: Surface)] = []   // in the write in flight, not reported yet
        func reportWritten() throws {
            do { try timed(.writeWait) { try writer.finish() } } catch {
                writing.removeAll()   // not written: never reported
                throw error
            }
            for (task, surface) in writing {
                done += 1
                let elapsed = Date().timeIntervalSince(start)
                let rate = Double(done - startedWith) / max(elapsed, 1e-9)
                let report = ProgressReport(label: models[task.model].info.name, done: done, total: total,
                                            elapsedSeconds: elapsed, rate: rate,
                                            etaSeconds: rate > 0 ? Double(total - done) / rate : nil)
                timed(.progress) { onProgress(Step(report: report, surface: surface, point: task.point)) }
            }
            writing.removeAll()
        }
        do {
            try runner.run(tasks, of: self, cancel: cancel, record: { task, values in
                timed(.record) { record(values, at: task.point, in: &surfaces[task.model], architecture: models[task.model].model.architecture) }
                unsaved.append(task)
            }, save: {
                try reportWritten()
                // Cancelled while the last points' reports were out (`onProgress` may cancel): the points
                // since are not written, as if the cancel had stopped them; a resumed run recomputes them.
                if cancel.isCancelled { unsaved.removeAll(); return }
                writer.submit(Set(unsaved.map(\.model)).sorted().map { surfaces[$0] })
                writing = unsaved.map { ($0, surfaces[$0.model]) }
                unsaved.removeAll()
            })
        } catch {
            // Stopped (cancelled, a failed write, a failed point): the write in flight completes and is
            // reported first; the first error is the one thrown.
            try? reportWritten()
            throw error
        }
        try reportWritten()
        return surfaces
    }

    /// Evaluates one point: the model moved along its directions (BN statistics re-estimated in
    /// recompute mode), its loss and accuracy on the data. One point at a time per computation.
    public func evaluate(_ task: SurfaceTask, cancel: CancellationFlag = CancellationFlag()) throws -> PointValues {
        evaluationLock.lock()
        defer { evaluationLock.unlock() }
        let pointStart = Date()
        let (alpha, beta) = grid.coordinates(ofPoint: task.point)
        let (x, y) = directions[task.model]
        var moved = timed(.perturb) { Directions.perturbed(models[task.model].model, x: x, alpha: alpha, y: y, beta: beta) }
        if let bnRecomputation {
            let recomputeStart = Date()
            defer { profile?.add(.batchNormRecompute, Date().timeIntervalSince(recomputeStart)) }
            if recomputeNetworks == nil {
                recomputeNetworks = try models.map {
                    try TrainingNetwork(architecture: $0.model.architecture, batchCapacity: bnRecomputation.batchSize,
                                        height: bnRecomputation.images.height, width: bnRecomputation.images.width,
                                        threads: evaluator.threadCount, purpose: .batchNormReestimation)
                }
            }
            try bnRecomputation.apply(to: &moved, network: recomputeNetworks![task.model])
        }
        let network = timed(.fold) {
            InferenceNetwork(moved, for: evaluator.plan(for: moved.architecture))
        }
        let result = try evaluator.evaluate(network, on: data.data, isCancelled: { cancel.isCancelled })
        profile?.add(result.timing, images: data.data.count)
        return PointValues(meanLoss: result.meanLoss, accuracy: result.accuracy, lossStandardError: result.lossStandardError,
                           seconds: Date().timeIntervalSince(pointStart))
    }

    private func record(_ result: PointValues, at point: Int, in surface: inout Surface, architecture: ResNetArchitecture) {
        let (row, column) = (point / grid.columns, point % grid.columns)
        if result.meanLoss.isFinite {
            surface.loss[row][column] = result.meanLoss
            surface.accuracy[row][column] = result.accuracy
            surface.lossStderr[row][column] = result.lossStandardError
        } else {
            // NaN/∞ cannot go into JSON and would poison every summary: the point is
            // recorded as computed-but-diverged, its values null.
            if surface.diverged == nil {
                surface.diverged = Array(repeating: Array(repeating: false, count: grid.columns), count: grid.rows)
            }
            surface.diverged?[row][column] = true
        }
        surface.progress.computed += 1
        surface.timing.seconds += result.seconds
        surface.timing.imagesPerSecond = Double(surface.progress.computed * data.data.count) / max(surface.timing.seconds, 1e-9)
        surface.timing.updated = Self.timestamp()
        let algorithm = evaluator.algorithm(for: architecture)
        if algorithm == .onednn || evaluator.plan.isUniform {
            surface.timing.noteConvolution(algorithm.effective.rawValue)
            surface.timing.noteKernel(algorithm.kernelName)
        } else {
            // A per-layer plan: which kernel ran for which class of convolutions, as one entry.
            surface.timing.noteConvolution("auto")
            surface.timing.noteKernel(evaluator.plan.kernelName(activation: architecture.activation,
                                                                    inputChannels: architecture.inputChannels))
        }
        surface.summary = SurfaceSummary(surface, centre: ProgressiveOrder.centreIndex(grid))
    }

    static func timestamp() -> String { ISO8601DateFormatter().string(from: Date()) }
}

public enum LandscapeVersion {
    public static let current = "0.1.0"
}
