import Foundation
import HTTPServer
import Landscape
import LandscapePictures
import LandscapeCore

/// Hessian spectra over the API: POST a `HessianSpec` (a job on the shared
/// queue; progress, events and cancel at /api/jobs/{id}), then the stored runs:
/// the list, one run's JSON (the spectra exactly as `landscape hessian` writes
/// them), its eigenvalues picture, its density picture and each model's eigenvectors. The spectra
/// shipped with the models (`ShippedResults`) are listed under `shipped` and served the same way.
struct HessianRoutes {
    let planner: HessianPlanner
    let pictures: PictureRoutes
    let shipped: ShippedResults

    func register(on router: HTTPRouter) {
        router.add("GET /api/hessian") { _ in
            let listing = shipped.hessianListing()
            return try .json(JSONBody(ResultListBody(name: "hessian", computed: planner.store.entries(), shipped: listing.entries,
                                                     shippedProblems: listing.problems)))
        }
        router.add("POST /api/hessian") { request in try submit(request) }
        router.add("GET /api/hessian/:id") { request in
            let name = request.pathParameters["id"] ?? ""
            if name.hasSuffix(".png") { return try eigenvaluesPicture(String(name.dropLast(4))) }
            return try .json(JSONBody(try result(name.hasSuffix(".json") ? String(name.dropLast(5)) : name)))
        }
        router.add("GET /api/hessian/:id/density.png") { request in try densityPicture(request.pathParameters["id"] ?? "") }
        router.add("GET /api/hessian/:id/:file") { request in
            try eigenvectors(request.pathParameters["id"] ?? "", file: request.pathParameters["file"] ?? "")
        }
    }

    /// GET /api/hessian/{id}: the run as validated and every model's spectrum; `shipped` for the run shipped with the models.
    struct ResultBody: Encodable {
        let run: HessianStore.Entry
        let spectra: [HessianSpectrum]
        let shipped: Bool
    }

    static let eigenvectorsSuffix = ".eigenvectors.safetensors"

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

    /// A computed run (its entry and folder) or the shipped one.
    private func run(_ id: String) throws -> (body: ResultBody, folder: URL) {
        guard HessianStore.isValidID(id) else {
            throw ServiceError.badRequest("Hessian run id '\(id)': expected 'h' and 15 hexadecimal digits")
        }
        if let entry = try storeRead({ try planner.store.entry(id) }) {
            return (ResultBody(run: entry, spectra: try storeRead { try planner.store.spectra(entry) }, shipped: false),
                    planner.store.folder(id))
        }
        if let run = try shipped.hessianRun(id) {
            return (ResultBody(run: run.entry, spectra: run.spectra, shipped: true), run.directory)
        }
        throw ServiceError.notFound("Hessian run '\(id)' (unknown, or its job has not finished)")
    }

    private func result(_ id: String) throws -> ResultBody { try run(id).body }

    /// GET /api/hessian/{id}/{model}.eigenvectors.safetensors: the model's top eigenvectors as the run wrote them
    /// (tensors named as in the model, `eigenvector<i>.<name>`).
    private func eigenvectors(_ id: String, file: String) throws -> HTTPResponse {
        guard file.hasSuffix(Self.eigenvectorsSuffix) else {
            throw ServiceError.notFound("/api/hessian/\(id)/\(file) (a run has density.png and <model>\(Self.eigenvectorsSuffix))")
        }
        let model = String(file.dropLast(Self.eigenvectorsSuffix.count))
        let (body, folder) = try run(id)
        guard let spectrum = body.spectra.first(where: { $0.model.name == model }) else {
            throw ServiceError.notFound("model '\(model)' in Hessian run '\(id)' (it has \(body.run.models.joined(separator: ", ")))")
        }
        guard let name = spectrum.topEigenvectors, !name.contains("/") else {
            throw ServiceError.notFound("eigenvectors of '\(model)' in Hessian run '\(id)' (it was run with top 0)")
        }
        // The shipped spectra leave their eigenvector files out (5.4 MB each): absent there is "not here", not a fault.
        if body.shipped && !FileManager.default.fileExists(atPath: folder.appendingPathComponent(name).path) {
            throw ServiceError.notFound("eigenvectors of '\(model)' in shipped Hessian run '\(id)' (not shipped: "
                                        + "`landscape hessian --model <checkpoint> --top K --out DIR` writes them)")
        }
        let data: Data
        do { data = try Data(contentsOf: folder.appendingPathComponent(name)) } catch {
            throw ServiceError.storageUnavailable("the eigenvectors of '\(model)' in Hessian run '\(id)' cannot be read",
                                                  detail: "\(folder.appendingPathComponent(name).path): \(error.localizedDescription)", full: false)
        }
        let safeModel = String(model.map { $0.isASCII && ($0.isLetter || $0.isNumber || "._-".contains($0)) ? $0 : "_" })
        return .download(data, contentType: "application/octet-stream", fileName: "\(id)-\(safeModel)\(Self.eigenvectorsSuffix)")
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
