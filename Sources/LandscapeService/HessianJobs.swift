import Foundation
import Landscape
import LandscapeEngine
import LandscapeIO

/// The work of one Hessian job: `HessianRun` model by model into the run's
/// folder of the store (in this process, or through the launcher), then the store
/// entry that marks it complete. Progress is in Hessian-vector products over every
/// model, with what is being done now.
public struct HessianJobWork {
    let id: String
    let models: [LoadedModel]
    let data: SurfaceData
    let options: SpectrumOptions
    let store: HessianStore
    let dataset: String
    let threads: Int
    /// The request with its models and dataset resolved to files: what a launched run reads (`--spec`).
    let request: HessianSpec
    /// Who computes the spectra: the queue's runner.
    let runner: any SurfaceJobRunner

    /// Products of the whole job at most (Lanczos may stop early: its remaining steps are then counted done).
    var total: Int { options.maximumProducts * models.count }

    /// The run's folder in the store: where the spectra go.
    var folder: URL { store.folder(id) }

    /// File names of the spectra, one per model, in the models' order.
    var files: [String] { models.map { "\($0.name).hessian.json" } }

    /// `onProgress` gets the whole job's products done and total, the current model's rate, and what is being done
    /// now as the label ("resnet20-mish: Lanczos step 3 of 100").
    func run(cancel: CancellationFlag, onProgress: (ProgressReport) -> Void) throws {
        try runner.run(self, cancel: cancel, onProgress: onProgress)
        let missing = files.filter { !FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path) }
        guard missing.isEmpty else {
            throw LandscapeError.storeFailure(path: folder.path, detail: "the run ended without writing \(missing.joined(separator: ", "))")
        }
        try store.save(HessianStore.Entry(id: id, models: models.map(\.name), files: files, dataset: dataset,
                                          samples: data.data.count, options: options))
    }

    /// The spectra computed in this process, model by model.
    func computeHere(cancel: CancellationFlag, onProgress: (ProgressReport) -> Void) throws {
        for (index, model) in models.enumerated() {
            let run = try HessianRun(models: [model], data: data, options: options, directory: folder, threads: threads)
            _ = try run.run(cancel: cancel) { report in onProgress(jobReport(report, model: index)) }
        }
    }

    /// One model's report (products done in that model) as the whole job's; its label (`HessianRun.progressLabel`:
    /// "resnet20-mish: Lanczos step 3 of 100") names the model and what is being done, in-process or under mpirun.
    func jobReport(_ report: ProgressReport, model index: Int) -> ProgressReport {
        let done = index * options.maximumProducts + report.done
        let eta = report.rate > 0 ? Double(total - done) / report.rate : nil
        return ProgressReport(label: report.label, done: done, total: total, elapsedSeconds: report.elapsedSeconds, rate: report.rate,
                              etaSeconds: eta)
    }

    /// A report a launched run wrote (`landscape hessian --progress`; its label begins with "<model>: ")
    /// as the whole job's; nil when it names none of the job's models.
    func jobReport(launched report: ProgressReport) -> ProgressReport? {
        guard let index = models.firstIndex(where: { report.label.hasPrefix(HessianRun.progressLabel($0, "")) }) else { return nil }
        return jobReport(report, model: index)
    }
}

/// Turns a Hessian request into a job on the shared queue, or answers it from the store.
final class HessianPlanner: @unchecked Sendable {
    private let catalog: Catalog
    private let queue: JobQueue
    let store: HessianStore

    init(catalog: Catalog, queue: JobQueue) throws {
        self.catalog = catalog
        self.queue = queue
        store = try HessianStore(directory: catalog.configuration.hessianDirectory)
    }

    /// The job for this request and whether it was already complete. A malformed request is 400, one
    /// within the spec's own rules but over this server's caps is 422 (the message names the cap).
    func submit(_ spec: HessianSpec) throws -> (job: Job, cached: Bool) {
        do { _ = try spec.validated(limits: .unbounded) } catch { throw ServiceError.badRequest("\(error)") }
        let validated: HessianSpec.Validated
        do { validated = try spec.validated(limits: catalog.configuration.limits.hessian) } catch {
            throw ServiceError.tooLarge("\(error)")
        }
        let models = try spec.models.map { try catalog.model($0) }
        guard Set(models.map(\.name)).count == models.count else {
            throw ServiceError.badRequest("models: two of \(spec.models.joined(separator: ", ")) have the same name in their model cards")
        }
        let datasetName = spec.dataset ?? SurfaceSpec.defaultDataset
        let path = try catalog.datasetPath(datasetName)
        let data: SurfaceData
        do { data = try EvaluationSet.build(spec.evaluationSet(path: path, validated), card: models[0].card) } catch {
            throw ServiceError.badRequest("dataset \(path) cannot be used", detail: "\(error)")
        }
        for model in models {
            do {
                try model.checkInput(data)
                try HessianSpec.check(top: validated.options.top, parameterCount: model.model.parameterCount, model: model.name)
            } catch { throw ServiceError.badRequest("\(error)") }
        }
        let id = HessianSpec.resultID(models: models.map(\.info), dataset: data.info, options: validated.options)
        // The request as a run elsewhere reads it: models and dataset as the files this service resolved.
        var resolved = spec
        resolved.models = models.map(\.url.path)
        resolved.dataset = path
        let work = HessianJobWork(id: id, models: models, data: data, options: validated.options, store: store,
                                  dataset: datasetName, threads: catalog.configuration.threads, request: resolved, runner: queue.runner)
        if try store.entry(id) != nil {
            return (queue.registerComplete(kind: .hessian, surfaceIDs: [], hessianID: id, total: work.total), true)
        }
        let job = try queue.submitOrJoin(kind: .hessian, surfaceIDs: [], hessianID: id, total: work.total) {
            (.hessian(work), 0)
        }
        return (job, false)
    }
}
