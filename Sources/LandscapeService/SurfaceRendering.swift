import Foundation
import Landscape
import LandscapeEngine
import LandscapeRender

/// Surface → plain render data. LandscapeRender knows no landscape types, so this adapter
/// lives in the service module, which the CLI also uses.
public enum SurfaceMetric: String, CaseIterable, Sendable {
    case loss, accuracy
}


extension Surface {
    public static func load(_ path: String) throws -> Surface {
        let data = try InputFile.read(URL(fileURLWithPath: path), what: "surface", expected: "a surface JSON file")
        return try Surface.decode(data, source: path)
    }

    public func values(_ metric: SurfaceMetric) -> [[Double?]] { metric == .loss ? loss : accuracy }

    /// The 2D grid of one metric; 1D surfaces have no grid.
    public func grid(_ metric: SurfaceMetric) throws -> Grid2D {
        guard let y else {
            throw LandscapeError.invalidRequest("surface \(id) is 1D (no y axis): render it with --kind line")
        }
        return try Grid2D(x: x, y: y, values: values(metric), diverged: diverged)
    }

    /// The 1D curve of one metric along x (the first row of a 2D surface is not a line: refuse).
    public func curve(_ metric: SurfaceMetric, label: String) throws -> Curve1D {
        guard y == nil else {
            throw LandscapeError.invalidRequest("surface \(id) is 2D: render it with --kind contour, filled, heatmap or surface3d")
        }
        return try Curve1D(label: label, x: x, y: values(metric).first ?? [], diverged: diverged?.first)
    }

    /// "Mish" (the activation's display name; the model name when it is unknown),
    /// "Mish, BN recompute" when BatchNorm statistics were re-estimated, so an
    /// eval / recompute comparison of one model tells its curves apart.
    public var shortName: String {
        let name = (try? Activation(parsing: model.activation))?.displayName ?? model.name
        return bnMode == .recompute ? name + ", BN recompute" : name
    }

    /// "Mish — test acc 91.2 %".
    public var panelTitle: String {
        let name = shortName
        guard let accuracy = model.testAccuracy else { return name }
        return name + " — test acc " + String(format: "%.1f %%", accuracy * 100)
    }
}
