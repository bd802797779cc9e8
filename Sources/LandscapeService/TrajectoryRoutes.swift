import Foundation
import HTTPServer
import Landscape
import LandscapePictures

/// Training paths as resources: the list, a trajectory's JSON and its picture (loss and
/// accuracy along the path). A surface in a trajectory's PCA plane is requested through
/// POST /api/surfaces with `"directions": "pca", "trajectory": id` (SurfacePlanner).
struct TrajectoryRoutes {
    let catalog: Catalog
    let pictures: PictureRoutes

    /// The picture's default size (Pictures.trajectory's own).
    static let defaultWidth = 800, defaultHeight = 500

    func register(on router: HTTPRouter) {
        router.add("GET /api/trajectories") { _ in try list() }
        router.add("GET /api/trajectories/:id") { request in
            let name = request.pathParameters["id"] ?? ""
            if name.hasSuffix(".png") { return try picture(String(name.dropLast(4)), query: request.query) }
            let id = name.hasSuffix(".json") ? String(name.dropLast(5)) : name
            return .json(try catalog.trajectories.entry(id).trajectory.jsonData())
        }
    }

    struct Listing: Encodable {
        let id: String
        /// The id of the catalog model that is the path's final model (its PCA surface's model); nil when none is served.
        let model: String?
        let modelName: String
        let activation: String
        let architecture: String
        let snapshots: Int
        let explainedVarianceRatio: [Double]
        let axisLabels: [String]
        /// First and last step and epoch of the path.
        let steps: [Int?]
        let epochs: [Double?]
        /// Whether every snapshot carries test loss and accuracy (`landscape trajectory --data`).
        let evaluated: Bool
        let evaluation: Surface.DatasetInfo?
    }

    private func list() throws -> HTTPResponse {
        // The model a trajectory belongs to: the served model with the final model's weights (same bytes).
        var modelBySha: [String: String] = [:]
        for id in catalog.modelIDs() {
            if let loaded = try? catalog.model(id), modelBySha[loaded.sha256] == nil { modelBySha[loaded.sha256] = id }
        }
        let listings = catalog.trajectories.all().map { entry -> Listing in
            let t = entry.trajectory
            return Listing(id: t.id, model: modelBySha[t.model.sha256], modelName: t.model.name, activation: t.model.activation,
                           architecture: t.model.architecture, snapshots: t.points.count,
                           explainedVarianceRatio: t.explainedVarianceRatio, axisLabels: [t.axisLabel(0), t.axisLabel(1)],
                           steps: [t.points.first?.step, t.points.last?.step], epochs: [t.points.first?.epoch, t.points.last?.epoch],
                           evaluated: !t.points.isEmpty && t.points.allSatisfy { $0.testLoss != nil },
                           evaluation: t.evaluation)
        }
        return try .json(JSONBody(["trajectories": listings]))
    }

    /// Loss (and accuracy, when the snapshots were evaluated) along the path, through the render slots and cache.
    private func picture(_ id: String, query: [String: String]) throws -> HTTPResponse {
        let trajectory = try catalog.trajectories.entry(id).trajectory
        let width = try PictureRoutes.integer(query, "width", default: Self.defaultWidth, in: PictureRoutes.sizeRange)
        let height = try PictureRoutes.integer(query, "height", default: Self.defaultHeight, in: PictureRoutes.sizeRange)
        guard trajectory.points.contains(where: { $0.testLoss != nil || $0.trainLoss != nil }) else {
            throw ServiceError.notFound("picture of trajectory '\(id)' (its snapshots record no loss: evaluate them with `landscape trajectory --data`)")
        }
        let data = try pictures.produce("trajectory|\(id)|\(width)x\(height)") {
            do { return try Pictures.trajectory(trajectory, width: width, height: height).png } catch let error as LandscapeError {
                throw ServiceError.badRequest("cannot draw trajectory '\(id)'", detail: "\(error)")
            }
        }
        return .png(data)
    }
}
