import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO

/// The work of one seed-study job: every seed's surfaces through the surface store (so they are
/// ordinary surfaces, and a stopped study resumes), then the study JSON, stored atomically last
/// (in this process, or through the launcher). Progress is in grid points over all seeds,
/// labelled with the seed being computed.
public struct StudyJobWork {
    let id: String
    let computation: SeedStudyComputation
    let store: SeedStudyStore
    /// The store of the seeds' surfaces, and their ids seed by seed (models in request order).
    let surfaceStore: SurfaceStore
    let idsBySeed: [[String]]
    /// The request with its models and dataset resolved to files: what a launched run reads (`--spec`).
    let request: SeedStudySpec
    /// The 3x3 convolution the surfaces are computed with (a launched run is told, so values match).
    let algorithm: ConvolutionAlgorithm
    /// Who computes the surfaces: the queue's runner.
    let runner: any SurfaceJobRunner

    var total: Int { computation.seeds.count * computation.pointsPerSeed }

    func run(cancel: CancellationFlag, onProgress: (ProgressReport) -> Void) throws {
        try runner.run(self, cancel: cancel, onProgress: onProgress)
    }

    /// The surfaces and the study computed in this process.
    func computeHere(cancel: CancellationFlag, onProgress: (ProgressReport) -> Void) throws {
        let result = try computation.run(on: LocalTaskRunner(), cancel: cancel, onProgress: onProgress)
        guard result.study.id == id else {
            throw LandscapeError.invalidRequest("seed study \(id): its surfaces make study \(result.study.id); expected the id the job was named by")
        }
        try store.save(result.study)
    }
}

/// Turns a seed-study request into a job on the shared queue, or answers it from the store.
final class StudyPlanner: @unchecked Sendable {
    private let catalog: Catalog
    private let queue: JobQueue
    private let evaluator: Evaluator
    let store: SeedStudyStore

    init(catalog: Catalog, queue: JobQueue) throws {
        self.catalog = catalog
        self.queue = queue
        evaluator = Evaluator(threads: catalog.configuration.threads)
        store = try SeedStudyStore(directory: catalog.configuration.studyDirectory)
    }

    /// The job for this request and whether it was already complete. A malformed request is 400, one
    /// within the spec's own rules but over this server's seed cap is 422 (the message names the cap).
    func submit(_ spec: SeedStudySpec) throws -> (job: Job, cached: Bool) {
        var unbounded = catalog.configuration.limits.study
        unbounded.maximumSeeds = .max
        do { _ = try spec.validated(limits: unbounded) } catch { throw ServiceError.badRequest("\(error)") }
        let validated: SeedStudySpec.Validated
        do { validated = try spec.validated(limits: catalog.configuration.limits.study) } catch {
            throw ServiceError.tooLarge("\(error)")
        }
        let surface = validated.surface
        let models = try spec.surface.models.map { try catalog.model($0) }
        guard Set(models.map(\.name)).count == models.count else {
            throw ServiceError.badRequest("models: two of \(spec.surface.models.joined(separator: ", ")) have the same name in their model cards")
        }
        let path = try catalog.datasetPath(spec.surface.dataset ?? SurfaceSpec.defaultDataset)
        try queue.ensureRoom(kind: .study)   // before the images and every seed's directions: a full queue costs nothing
        let data: SurfaceData
        do {
            data = try EvaluationSet.build(spec.surface.evaluationSet(path: path, samples: surface.samples, samplesAtMost: surface.samplesAtMost),
                                           card: models[0].card)
        } catch { throw ServiceError.badRequest("dataset \(path) cannot be used", detail: "\(error)") }
        let recompute: BatchNormRecomputation?
        do {
            recompute = try surface.bnRecompute.map {
                try BatchNormRecomputation.build(path: path, batches: $0.batches, batchSize: $0.batchSize, normalizedLike: data.info)
            }
        } catch { throw ServiceError.badRequest("bn recompute: the training images of \(path) cannot be used", detail: "\(error)") }
        let store = catalog.cacheStore, evaluator = evaluator, base = spec.surface.directions, bnMode = spec.surface.bnMode
        let build: (UInt64) throws -> SurfaceComputation = { seed in
            var directions = base
            directions.seed = seed
            return try SurfaceComputation(models: models.map(\.surfaceModel), data: data, grid: surface.grid,
                                          directions: .random(directions), bnMode: bnMode, bnRecomputation: recompute,
                                          store: store, evaluator: evaluator)
        }
        // The surfaces' ids name the study before anything is computed (model-major, as the study orders them).
        var idsBySeed: [[String]] = []
        do {
            for seed in validated.seeds {
                let computation = try build(seed)
                idsBySeed.append(models.indices.map { computation.key(for: $0) })
            }
        } catch { throw ServiceError.badRequest("the surfaces cannot be computed", detail: "\(error)") }
        let modelMajor = models.indices.flatMap { m in idsBySeed.map { $0[m] } }
        let id = SeedStudy.id(surfaceIDs: modelMajor, widthThreshold: validated.widthThreshold)
        // The request as a run elsewhere reads it: models and dataset as the files this service resolved.
        var resolved = spec
        resolved.surface.models = models.map(\.url.path)
        resolved.surface.dataset = path
        let work = StudyJobWork(id: id, computation: SeedStudyComputation(seeds: validated.seeds, widthThreshold: validated.widthThreshold,
                                                                          pointsPerSeed: models.count * surface.grid.pointCount, build: build),
                                store: self.store, surfaceStore: store, idsBySeed: idsBySeed, request: resolved,
                                algorithm: evaluator.algorithm.effective, runner: queue.runner)
        let surfaceIDs = idsBySeed.flatMap { $0 }
        if try self.store.study(id) != nil {
            return (queue.registerComplete(kind: .study, surfaceIDs: surfaceIDs, hessianID: nil, studyID: id, total: work.total), true)
        }
        let job = try queue.submitOrJoin(kind: .study, surfaceIDs: surfaceIDs, hessianID: nil, studyID: id, total: work.total) {
            (.study(work), 0)
        }
        return (job, false)
    }
}
