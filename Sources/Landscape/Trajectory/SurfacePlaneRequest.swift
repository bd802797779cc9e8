import Foundation

/// Which directions a surface request moves along: the seeded random ones (the
/// default) or the PCA plane of a training path (`"directions": "pca"` with
/// `"trajectory": "<id>"` in the API's JSON). Part of `SurfaceSpec`, checked
/// by its `validated(limits:)`; the service resolves the id to the files
/// `landscape trajectory --out DIR` wrote.
public enum SurfaceDirectionsKind: String, Sendable, CaseIterable {
    case random
    case pca
}

/// A surface in the plane of a trajectory's top two principal components.
public struct TrajectoryPlaneRequest: Sendable, Equatable {
    /// The trajectory's id (its content key, as `GET /api/trajectories` lists it).
    public var trajectory: String
    /// x (y) was not given: that axis covers the path and the origin with a margin
    /// (`Trajectory.coveringAxes`), as `landscape surface --directions pca:DIR` does.
    public var xFromPath: Bool
    public var yFromPath: Bool

    public init(trajectory: String, xFromPath: Bool = false, yFromPath: Bool = false) {
        self.trajectory = trajectory; self.xFromPath = xFromPath; self.yFromPath = yFromPath
    }

    /// Trajectory ids are content keys: letters, digits, '_' and '-' (no path can be smuggled in).
    public static let idPattern = #"^[A-Za-z0-9_-]{1,64}$"#

    public static func isValidID(_ id: String) -> Bool { id.range(of: idPattern, options: .regularExpression) != nil }

    /// The request of a decoded body: `directions` and `trajectory` as sent, and whether x and y were.
    static func decode(directions: String?, trajectory: String?, xGiven: Bool, yGiven: Bool) throws -> TrajectoryPlaneRequest? {
        // Naming a trajectory asks for its plane; `"directions": "random"` with one is a contradiction.
        let kind: SurfaceDirectionsKind = try directions.map { try SpecError.choice($0, field: "directions") }
            ?? (trajectory == nil ? .random : .pca)
        switch (kind, trajectory) {
        case (.random, nil): return nil
        case (.random, .some):
            throw SpecError("trajectory", "applies to directions 'pca' only (the plane of that trajectory's path)")
        case (.pca, nil):
            throw SpecError("trajectory", "required with directions 'pca': the id of a trajectory (GET /api/trajectories)")
        case (.pca, .some(let id)):
            return TrajectoryPlaneRequest(trajectory: id, xFromPath: !xGiven, yFromPath: !yGiven)
        }
    }

    /// The JSON fields of this choice (appended to `SurfaceSpec.fields`).
    static var fields: [SpecField] { [
        SpecField(name: "directions", type: "string",
                  description: "random (seeded, filter-normalized) or pca (PC1, PC2 of a trajectory's training path, around its final model); "
                      + "pca where a trajectory is named",
                  defaultValue: SurfaceDirectionsKind.random.rawValue, allowed: SurfaceDirectionsKind.allCases.map(\.rawValue)),
        SpecField(name: "trajectory", type: "string",
                  description: "with directions pca: the trajectory id (GET /api/trajectories); one model, its final model; "
                      + "an axis left out covers the path with a margin (21 points, as the CLI)"),
    ] }
}

extension SurfaceSpec {
    /// The checks a PCA-plane request adds to `validated(limits:)` (nothing for random directions).
    func validatePlane() throws(SpecError) {
        guard let plane = trajectoryPlane else { return }
        guard TrajectoryPlaneRequest.isValidID(plane.trajectory) else {
            throw SpecError("trajectory", "'\(plane.trajectory)': expected an id of letters, digits, '_' or '-' (GET /api/trajectories)")
        }
        guard models.count == 1 else {
            throw SpecError("models", "a PCA-plane surface takes one model (the trajectory's final model), got \(models.count)")
        }
        guard y != nil else {
            throw SpecError("y", "a PCA-plane surface is 2D: expected y (or none: it then covers the path)")
        }
        guard directions == DirectionSpec() else {
            throw SpecError("seed, norm, ignore, mode", "apply to random directions only: a PCA plane's directions are the trajectory's PC1 and PC2")
        }
    }

    /// This request with the grid over `trajectory`'s path where it asked for that (axes not given);
    /// unchanged otherwise. The service calls it once it has found the trajectory, before `validated`.
    public func coveringPath(of trajectory: Trajectory) throws -> SurfaceSpec {
        guard var plane = trajectoryPlane, plane.xFromPath || plane.yFromPath else { return self }
        let axes: (x: GridAxis, y: GridAxis)
        do { axes = try trajectory.coveringAxes() } catch { throw SpecError("x, y", "cannot cover the path of \(trajectory.id): \(error)") }
        var spec = self
        if plane.xFromPath { spec.x = axes.x }
        if plane.yFromPath { spec.y = axes.y }
        plane.xFromPath = false
        plane.yFromPath = false
        spec.trajectoryPlane = plane
        return spec
    }
}
