import Foundation
import LandscapeCore
import LandscapeEngine
import LandscapeIO

/// The plane of a trajectory as surface directions: PC1 and PC2 from the
/// directory `landscape trajectory --out DIR` wrote, checked against the
/// model the surface is computed around (it must be the trajectory's final
/// model, or the path would be drawn around the wrong origin).
public struct PCAPlane: Sendable {
    public let directory: String
    public let trajectory: Trajectory
    public let x: Direction
    public let y: Direction
    /// SHA-256 of the directions file (part of the surface's content key).
    public let directionsSha256: String

    public static func load(directory: String, model: LoadedModel) throws -> PCAPlane {
        let base = URL(fileURLWithPath: directory)
        let trajectory = try Trajectory.load(base.appendingPathComponent(Trajectory.fileName).path)
        guard trajectory.model.sha256 == model.sha256 else {
            throw LandscapeError.invalidDirections("pca:\(directory) is the plane of the path to \(trajectory.model.path ?? trajectory.model.name) "
                + "(sha256 \(trajectory.model.sha256.prefix(12))…), not of \(model.url.path) (\(model.sha256.prefix(12))…): "
                + "expected the surface around the trajectory's final model")
        }
        let url = base.appendingPathComponent(trajectory.directionsFile)
        let bytes = try Checkpoint.contents(of: url)
        let dict = try Safetensors.read(data: bytes, source: url.path)
        let pair = try DirectionFile.directions(from: dict, layout: model.model.layout)
        guard let y = pair.y else { throw LandscapeError.invalidDirections("\(url.path): no y.* tensors (PC2)") }
        return PCAPlane(directory: directory, trajectory: trajectory, x: pair.x, y: y, directionsSha256: SHA256.hex(bytes))
    }

    /// What a surface in this plane records about the path.
    public var path: SurfacePath {
        SurfacePath(trajectory: trajectory.id, explainedVarianceRatio: trajectory.explainedVarianceRatio,
                    axisLabels: [trajectory.axisLabel(0), trajectory.axisLabel(1)], points: trajectory.points)
    }
}

/// The training path drawn over a surface in its PCA plane (the surface JSON's
/// optional `path`; absent for random, interpolation and plane surfaces).
public struct SurfacePath: Sendable, Codable, Equatable {
    /// The trajectory's content key.
    public var trajectory: String
    public var explainedVarianceRatio: [Double]
    /// "PC1, 81.3 %", "PC2, 9.2 %".
    public var axisLabels: [String]
    public var points: [Trajectory.Point]
    public init(trajectory: String, explainedVarianceRatio: [Double], axisLabels: [String], points: [Trajectory.Point]) {
        self.trajectory = trajectory; self.explainedVarianceRatio = explainedVarianceRatio
        self.axisLabels = axisLabels; self.points = points
    }
}
