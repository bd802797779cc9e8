import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO

/// Turns a validated request into a job: loads the models and the data
/// subset, derives the shared directions and the surface keys, and answers
/// from the stores when every surface is already complete.
final class SurfacePlanner: @unchecked Sendable {
    private let catalog: Catalog
    private let queue: JobQueue
    private let evaluator: Evaluator
    private let lock = NSLock()
    /// Normalized subsets are reused between requests: the 10k Fashion-MNIST test images are 31 MB of floats.
    private var evaluationSets: [EvaluationSetRequest: SurfaceData] = [:]
    private static let evaluationSetCacheSize = 4

    init(catalog: Catalog, queue: JobQueue) {
        self.catalog = catalog
        self.queue = queue
        evaluator = Evaluator(threads: catalog.configuration.threads)
    }

    /// The job for this request and whether it was already complete.
    func submit(_ request: SurfaceSpec) throws -> (job: Job, cached: Bool) {
        // A PCA-plane request names a trajectory: found first, so a grid left to cover its path can be made.
        let trajectory = try request.trajectoryPlane.map { try catalog.trajectories.entry($0.trajectory) }
        let spec: SurfaceSpec
        let validated: SurfaceSpec.Validated
        do {
            spec = try trajectory.map { try request.coveringPath(of: $0.trajectory) } ?? request
            validated = try spec.validated(limits: catalog.configuration.limits.surface)
        } catch {
            throw ServiceError.badRequest("\(error)")
        }
        let models = try spec.models.map { try catalog.model($0) }
        let plane = try trajectory.map { entry in
            do { return try PCAPlane.load(directory: entry.directory.path, model: models[0]) } catch {
                throw ServiceError.badRequest("trajectory '\(entry.id)' cannot be used with model '\(spec.models[0])'", detail: "\(error)")
            }
        }
        let path = try catalog.datasetPath(spec.dataset ?? SurfaceSpec.defaultDataset)
        let data = try evaluationSet(spec.evaluationSet(path: path, samples: validated.samples, samplesAtMost: validated.samplesAtMost), card: models[0].card)
        let recompute = try validated.bnRecompute.map { try recomputation($0, path: path, like: data.info) }
        let computation: SurfaceComputation
        do {
            computation = try SurfaceComputation(models: models.map(\.surfaceModel), data: data, grid: validated.grid,
                                                 directions: plane.map { .pca($0) } ?? .random(spec.directions), bnMode: spec.bnMode,
                                                 bnRecomputation: recompute,
                                                 store: catalog.cacheStore, evaluator: evaluator)
        } catch {
            throw ServiceError.badRequest("the surface cannot be computed", detail: "\(error)")
        }
        let ids = models.indices.map { computation.key(for: $0) }
        let total = ids.count * validated.grid.pointCount
        if ids.allSatisfy({ catalog.completeSurface($0) != nil }) {
            return (queue.registerComplete(surfaceIDs: ids, total: total), true)
        }
        let store = catalog.cacheStore
        let job = try queue.submitOrJoin(surfaceIDs: ids, total: total) {
            // The request as a run elsewhere reads it: models and dataset as the files this service resolved.
            var resolved = spec
            resolved.models = models.map(\.url.path)
            resolved.dataset = path
            try queue.runner.prepare(resolved, surfaceIDs: ids)
            // The stored (partial) surfaces, or empty ones stored now, so GET /api/surfaces/{id}
            // answers (all null) from the moment the job exists: one read per surface.
            var done = 0
            for index in models.indices {
                let surface = try computation.initialSurface(for: index)
                if !store.exists(store.surfaceFileName(for: surface)) { try store.save(surface) }
                done += surface.progress.computed
            }
            return (computation, done)
        }
        return (job, false)
    }

    private func recomputation(_ size: (batches: Int, batchSize: Int), path: String,
                               like evaluation: Surface.DatasetInfo) throws -> BatchNormRecomputation {
        do {
            return try BatchNormRecomputation.build(path: path, batches: size.batches, batchSize: size.batchSize,
                                                    normalizedLike: evaluation)
        } catch {
            throw ServiceError.badRequest("bn recompute: the training images of \(path) cannot be used", detail: "\(error)")
        }
    }

    private func evaluationSet(_ request: EvaluationSetRequest, card: ModelCard?) throws -> SurfaceData {
        lock.lock()
        if let cached = evaluationSets[request] { lock.unlock(); return cached }
        lock.unlock()
        let built: SurfaceData
        do { built = try EvaluationSet.build(request, card: card) } catch {
            throw ServiceError.badRequest("dataset \(request.path) cannot be used", detail: "\(error)")
        }
        lock.lock()
        if evaluationSets.count >= Self.evaluationSetCacheSize { evaluationSets.removeAll() }
        evaluationSets[request] = built
        lock.unlock()
        return built
    }
}
