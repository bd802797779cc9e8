import Foundation
import HTTPServer
import Landscape
import LandscapePictures
import LandscapeCore

/// Hessian spectra over the API: POST a `HessianSpec` (a job on the shared
/// queue; progress, events and cancel at /api/jobs/{id}), then the stored runs:
/// the list, one run's JSON (the spectra exactly as `landscape hessian` writes
/// them), its eigenvalues picture and its density picture.
struct HessianRoutes {
    let planner: HessianPlanner
    let pictures: PictureRoutes

    func register(on router: HTTPRouter) {
        router.add("GET /api/hessian") { _ in try .json(JSONBody(["hessian": planner.store.entries()])) }
        router.add("POST /api/hessian") { request in try submit(request) }
        router.add("GET /api/hessian/:id") { request in
            let name = request.pathParameters["id"] ?? ""
            if name.hasSuffix(".png") { return try eigenvaluesPicture(String(name.dropLast(4))) }
            return try .json(JSONBody(try result(name.hasSuffix(".json") ? String(name.dropLast(5)) : name)))
        }
        router.add("GET /api/hessian/:id/density.png") { request in try densityPicture(request.pathParameters["id"] ?? "") }
    }

    /// GET /api/hessian/{id}: the run as validated and every model's spectrum.
    struct ResultBody: Encodable {
        let run: HessianStore.Entry
        let spectra: [HessianSpectrum]
    }

    private func submit(_ request: HTTPRequest) throws -> HTTPResponse {
        let spec: HessianSpec
        do { spec = try HessianSpec.decode(json: request.body) } catch { throw ServiceError.badRequest("\(error)") }
        do {
            let (job, cached) = try planner.submit(spec)
            return try .json(JSONBody(["job": job.snapshot]), status: cached ? 200 : 202)
        } catch let LandscapeError.storeUnavailable(path, detail, full) {
            throw ServiceError.storageUnavailable("cannot store the Hessian run \(path)", detail: detail, full: full)
        }
    }

    private func entry(_ id: String) throws -> HessianStore.Entry {
        guard HessianStore.isValidID(id) else {
            throw ServiceError.badRequest("Hessian run id '\(id)': expected 'h' and 15 hexadecimal digits")
        }
        guard let entry = try storeRead({ try planner.store.entry(id) }) else {
            throw ServiceError.notFound("Hessian run '\(id)' (unknown, or its job has not finished)")
        }
        return entry
    }

    private func result(_ id: String) throws -> ResultBody {
        let entry = try entry(id)
        return ResultBody(run: entry, spectra: try storeRead { try planner.store.spectra(entry) })
    }

    private func eigenvaluesPicture(_ id: String) throws -> HTTPResponse {
        let body = try result(id)
        guard body.spectra.contains(where: { $0.topEigenvalues.count >= 2 }) else {
            throw ServiceError.notFound("eigenvalues picture of Hessian run '\(id)' (it needs top >= 2)")
        }
        return .png(try pictures.produce("hessian-eigenvalues-\(id)") { try Pictures.eigenvalues(body.spectra).png })
    }

    private func densityPicture(_ id: String) throws -> HTTPResponse {
        let body = try result(id)
        guard body.spectra.contains(where: { $0.density != nil }) else {
            throw ServiceError.notFound("density picture of Hessian run '\(id)' (it was run without density)")
        }
        return .png(try pictures.produce("hessian-density-\(id)") { try Pictures.densities(body.spectra).png })
    }

    /// A stored file that cannot be read is the server's problem, said as such (not a crash, not a 400).
    private func storeRead<T>(_ read: () throws -> T) throws -> T {
        do { return try read() } catch let error as LandscapeError {
            throw ServiceError.storageUnavailable("the Hessian store cannot be read", detail: "\(error)", full: false)
        }
    }
}
