import Foundation
import HTTPServer
import Landscape
import LandscapeIO
import LandscapeExport
import LandscapeCore

/// The JSON half of the API: models, datasets, surfaces and jobs.
struct APIRoutes {
    let catalog: Catalog
    let queue: JobQueue
    let planner: SurfacePlanner
    let pictures: PictureRoutes

    /// How long an event stream waits before a keep-alive comment.
    static let eventKeepAlive: TimeInterval = 15

    func register(on router: HTTPRouter) {
        router.add("GET /api/models") { _ in try models() }
        router.add("GET /api/datasets") { _ in datasets() }
        router.add("GET /api/surfaces") { _ in try surfaces() }
        router.add("POST /api/surfaces") { request in try submit(request) }
        router.add("GET /api/surfaces/:id") { request in
            let id = request.pathParameters["id"] ?? ""
            // id.json, id.{png,svg,pdf} and the exports (ExportRoutes); a plain id is the surface's JSON.
            if let response = try ExportRoutes(catalog: catalog, pictures: pictures).handle(name: id, query: request.query) { return response }
            return try .json(JSONBody(try catalog.surface(id)))
        }
        router.add("GET /api/jobs") { _ in try .json(JSONBody(["jobs": queue.all().map(\.snapshot)])) }
        router.add("GET /api/jobs/:id") { request in
            try .json(JSONBody(["job": try queue.job(request.pathParameters["id"] ?? "").snapshot]))
        }
        router.add("DELETE /api/jobs/:id") { request in
            try .json(JSONBody(["job": try queue.cancel(request.pathParameters["id"] ?? "").snapshot]))
        }
        router.add("GET /api/jobs/:id/events") { request in try events(request.pathParameters["id"] ?? "") }
    }

    // MARK: Handlers

    struct ModelListing: Encodable {
        let id: String
        let name: String
        let path: String
        let activation: String
        let architecture: String
        let sha256: String
        let parameterCount: Int
        let card: ModelCard?
    }

    private func models() throws -> HTTPResponse {
        let listings = try catalog.modelIDs().map { id -> ModelListing in
            let loaded = try catalog.model(id)
            return ModelListing(id: id, name: loaded.name, path: "Models/\(loaded.url.lastPathComponent)",
                                activation: loaded.model.architecture.activation.name,
                                architecture: loaded.model.architecture.name, sha256: loaded.sha256,
                                parameterCount: loaded.model.parameterCount, card: loaded.card)
        }
        return try .json(JSONBody(["models": listings]))
    }

    struct DatasetListing: Encodable { let id: String; let path: String; let available: Bool }

    private func datasets() -> HTTPResponse {
        let listings = catalog.configuration.datasets.sorted { $0.key < $1.key }.map {
            DatasetListing(id: $0.key, path: $0.value, available: FileManager.default.fileExists(atPath: $0.value))
        }
        return (try? .json(JSONBody(["datasets": listings]))) ?? .error(status: 500, error: "encoding failed", detail: nil)
    }

    struct SurfaceListing: Encodable {
        struct ModelSummary: Encodable {
            let name: String; let activation: String; let sha256: String; let architecture: String; let testAccuracy: Double?
        }
        let id: String
        let model: ModelSummary
        let grid: String
        let columns: Int
        let rows: Int
        let twoDimensional: Bool
        let progress: Surface.Progress
        let summary: SurfaceSummary?
        let sharedWith: [String]
        let directionsSeed: UInt64
        let samples: Int
        let dataset: String
        let shipped: Bool
        /// shipped, computed (by this server) or imported (values read from a file, not recomputed).
        let provenance: String
        /// The trajectory whose PCA plane this surface lies in (GET /api/trajectories/{id}); nil for other directions.
        let trajectory: String?
    }

    private func surfaces() throws -> HTTPResponse {
        let all = try catalog.surfaces()
        let listings = all.map { entry -> SurfaceListing in
            let s = entry.surface
            // Surfaces share directions when they come from one request: same seed, grid, data and model set.
            let siblings = all.filter { other in
                other.surface.id != s.id && other.surface.directions.sharedWith == s.directions.sharedWith
                    && other.surface.directions.seed == s.directions.seed && other.surface.grid == s.grid
                    && other.surface.dataset.contentSha256 == s.dataset.contentSha256
                    && other.surface.directions.kind == s.directions.kind
            }.map(\.surface.id)
            return SurfaceListing(
                id: s.id,
                model: .init(name: s.model.name, activation: s.model.activation, sha256: s.model.sha256,
                             architecture: s.model.architecture, testAccuracy: s.model.testAccuracy),
                grid: s.grid.description, columns: s.columns, rows: s.rows, twoDimensional: s.grid.isTwoDimensional,
                progress: s.progress, summary: s.summary, sharedWith: siblings, directionsSeed: s.directions.seed,
                samples: s.dataset.samples, dataset: s.dataset.name, shipped: entry.shipped,
                provenance: entry.shipped ? "shipped" : s.progress.order == LiImport.progressOrder ? "imported" : "computed",
                trajectory: s.path?.trajectory)
        }
        return try .json(JSONBody(["surfaces": listings]))
    }

    private func submit(_ request: HTTPRequest) throws -> HTTPResponse {
        let body: SurfaceSpec
        do { body = try SurfaceSpec.decode(json: request.body) } catch { throw ServiceError.badRequest("\(error)") }
        do {
            let (job, cached) = try planner.submit(body)
            return try .json(JSONBody(["job": job.snapshot]), status: cached ? 200 : 202)
        } catch let LandscapeError.storeUnavailable(path, detail, full) {
            throw ServiceError.storageUnavailable("cannot store the surface \(path)", detail: detail, full: full)
        }
    }

    /// Server-Sent Events: the current progress first, then every event until the job ends.
    private func events(_ id: String) throws -> HTTPResponse {
        let job = try queue.job(id)
        return .eventStream { writer in
            var sequence = job.nextSequence
            let first = try LandscapeJSON.encode(["job": job.snapshot])
            guard writer.send(event: "progress", data: String(decoding: first, as: UTF8.self)) else { return }
            if job.snapshot.isFinished {
                _ = writer.send(event: job.snapshot.state.rawValue, data: String(decoding: first, as: UTF8.self))
                return
            }
            while true {
                let (events, finished) = job.events(from: sequence, timeout: Self.eventKeepAlive)
                if events.isEmpty && !finished {
                    guard writer.comment("keep-alive") else { return }
                }
                for event in events {
                    guard writer.send(event: event.name, data: String(decoding: event.data, as: UTF8.self),
                                          id: String(event.sequence)) else { return }
                }
                if let last = events.last { sequence = last.sequence + 1 }
                if finished { return }
            }
        }
    }
}

/// Wraps an Encodable so handlers write snake_case JSON with one encoder.
struct JSONBody<T: Encodable>: Encodable {
    let value: T
    init(_ value: T) { self.value = value }
    func encode(to encoder: Encoder) throws { try value.encode(to: encoder) }
}

extension HTTPResponse {
    /// JSON with the API's snake_case encoder.
    static func json<T: Encodable>(_ body: JSONBody<T>, status: Int = 200) throws -> HTTPResponse {
        .json(try LandscapeJSON.encode(body), status: HTTPStatus(status))
    }
}
