import Foundation
import HTTPServer
import Landscape
import LandscapePictures
import LandscapeCore

/// Seed studies over the API: POST a `SeedStudySpec` (a job on the shared queue; progress, events
/// and cancel at /api/jobs/{id}; every seed's surfaces are ordinary surfaces), then the stored
/// studies: the list, one study's JSON (exactly as `landscape surface --seeds` writes it) and its
/// strip plot. The studies shipped with the models (`ShippedResults`) are listed under `shipped` and
/// served the same way.
struct StudyRoutes {
    let planner: StudyPlanner
    let pictures: PictureRoutes
    let shipped: ShippedResults

    func register(on router: HTTPRouter) {
        router.add("GET /api/studies") { _ in
            let shippedStudies = shipped.shippedStudies()
            return try .json(JSONBody(ResultListBody(name: "studies", computed: planner.store.entries(), shipped: shippedStudies.entries,
                                                     shippedProblems: shippedStudies.problems)))
        }
        router.add("POST /api/studies") { request in try submit(request) }
        router.add("GET /api/studies/:id") { request in
            let name = request.pathParameters["id"] ?? ""
            if name.hasSuffix(".png") { return try picture(String(name.dropLast(4))) }
            return .json(try study(name.hasSuffix(".json") ? String(name.dropLast(5)) : name).jsonData())
        }
    }

    private func submit(_ request: HTTPRequest) throws -> HTTPResponse {
        let spec: SeedStudySpec
        do { spec = try SeedStudySpec.decode(json: request.body) } catch { throw ServiceError.badRequest("\(error)") }
        do {
            let (job, cached) = try planner.submit(spec)
            return try .json(JSONBody(["job": job.snapshot]), status: cached ? 200 : 202)
        } catch let LandscapeError.storeUnavailable(path, detail, full) {
            throw ServiceError.storageUnavailable("cannot store the seed study \(path)", detail: detail, full: full)
        }
    }

    private func study(_ id: String) throws -> SeedStudy {
        guard SeedStudyStore.isValidID(id) else {
            throw ServiceError.badRequest("seed study id '\(id)': expected 16 hexadecimal digits")
        }
        let found: SeedStudy?
        do { found = try planner.store.study(id) } catch {
            throw ServiceError.storageUnavailable("the seed study store cannot be read", detail: "\(error)", full: false)
        }
        guard let found = found ?? shipped.shippedStudies().study(id) else { throw ServiceError.notFound("seed study '\(id)' (unknown, or its job has not finished)") }
        return found
    }

    private func picture(_ id: String) throws -> HTTPResponse {
        let study = try study(id)
        return .png(try pictures.produce("seed-study-\(id)") { try Pictures.seedStudy(study).png })
    }
}
