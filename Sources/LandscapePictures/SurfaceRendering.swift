import Foundation
import Landscape
import LandscapeEngine
import LandscapeRender

/// Surface → plain render data. LandscapeRender knows no landscape types, so this adapter
/// lives here, where the CLI and the service both draw.
public enum SurfaceMetric: String, CaseIterable, Sendable {
    case loss, accuracy
}


extension Surface {
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

    /// "random filter-normalized directions", "interpolation from A = resnet20-mish to B = resnet20-relu",
    /// "plane through A = …, B = …, C = …".
    public var directionsPhrase: String {
        let endpoints = directions.endpoints.map(\.name)
        switch directions.kind {
        case "interpolation" where endpoints.count >= 1:
            return "interpolation from A = \(model.name) to B = \(endpoints[0])"
        case "plane" where endpoints.count >= 2:
            return "plane through A = \(model.name), B = \(endpoints[0]), C = \(endpoints[1])"
        case "pca":
            return "PCA plane of the training path"
        case "hessian":
            return "top-2 Hessian eigenvectors"
        case "random":
            return "random \(normalizationAdjective) directions"
        default:
            return "\(directions.kind) directions"
        }
    }

    /// "Hessian eigenvector 1 (λ = 135.4)": the axis along eigenvector `index` (0-based) with eigenvalue `value`,
    /// four significant digits in 0.01 … 99999 (1073, 135.4, 2.718), three with an exponent outside it.
    public static func hessianAxisLabel(_ index: Int, eigenvalue value: Double) -> String {
        let magnitude = abs(value)
        let number: String
        if magnitude >= 1e5 || (magnitude < 1e-2 && magnitude > 0) {
            number = String(format: "%.3g", value)
        } else {
            number = String(format: "%.\(magnitude >= 1000 ? 0 : magnitude >= 100 ? 1 : magnitude >= 10 ? 2 : 3)f", value)
        }
        return "Hessian eigenvector \(index + 1) (λ = \(number))"
    }

    /// "seed 7" for random directions (the only kind a seed determines).
    public var seedPhrase: String? { directions.kind == "random" ? "seed \(directions.seed)" : nil }

    /// "BN recompute" where BatchNorm statistics were re-estimated; nil for the usual eval mode.
    public var batchNormPhrase: String? { bnMode == .eval ? nil : "BN \(bnMode.rawValue)" }

    /// "3 points diverged" (nil when none did).
    public var divergedPhrase: String? {
        let n = divergedCount
        return n == 0 ? nil : n == 1 ? "1 point diverged" : "\(n) points diverged"
    }

    private var normalizationAdjective: String {
        directions.normalization == .none ? "unnormalized" : "\(directions.normalization.rawValue)-normalized"
    }

    /// What α and β mean: "α (filter-normalized direction 1)", "α (from A = m to B = n)", …
    /// (β is nil for a 1D surface).
    public var axisLabels: (x: String, y: String?) {
        let endpoints = directions.endpoints.map(\.name)
        switch directions.kind {
        case "interpolation" where endpoints.count >= 1:
            return ("α (from A = \(model.name) to B = \(endpoints[0]))", y == nil ? nil : "β")
        case "plane" where endpoints.count >= 2:
            return ("α (from A = \(model.name) to B = \(endpoints[0]))", "β (from A = \(model.name) to C = \(endpoints[1]))")
        case "pca" where path?.axisLabels.count == 2:
            return (path!.axisLabels[0], y == nil ? nil : path!.axisLabels[1])
        case "hessian" where (directions.eigenvalues?.count ?? 0) >= 2:
            let values = directions.eigenvalues!
            return (Self.hessianAxisLabel(0, eigenvalue: values[0]), y == nil ? nil : Self.hessianAxisLabel(1, eigenvalue: values[1]))
        case "random":
            if y == nil { return ("α (\(normalizationAdjective) random direction)", nil) }
            return ("α (\(normalizationAdjective) direction 1)", "β (\(normalizationAdjective) direction 2)")
        default:
            return ("α (\(directions.kind) direction 1)", y == nil ? nil : "β (\(directions.kind) direction 2)")
        }
    }
}

/// Figure and panel titles (and line legends) built from what the surfaces are: model,
/// activation, direction kind, seed, BN mode, diverged points. What all surfaces share goes
/// into the figure title; what differs goes into each panel's, so no panel is mistaken for
/// another and the figure never claims one seed (or model, or BN mode) that some panels lack.
public struct SurfaceTitles: Sendable, Equatable {
    public var figure: String
    /// One per surface; nil for a single surface (its figure title says it all).
    public var panels: [String]?
    /// One per surface: the panel's name without accuracy or counts, for line legends.
    public var legends: [String]

    public init(_ surfaces: [Surface], metric: SurfaceMetric) {
        precondition(!surfaces.isEmpty, "titles of no surface")
        func accuracy(_ s: Surface) -> String? { s.model.testAccuracy.map { "test acc " + String(format: "%.1f %%", $0 * 100) } }
        guard surfaces.count > 1 else {
            let s = surfaces[0]
            let who = "\(s.model.name) (" + ([s.activationName, s.batchNormPhrase, accuracy(s)].compactMap { $0 }).joined(separator: ", ") + ")"
            let what = ([metric.rawValue, s.directionsPhrase, s.seedPhrase].compactMap { $0 }).joined(separator: ", ")
            figure = ([who + " — " + what, s.divergedPhrase.map { $0 + Self.divergedKey }].compactMap { $0 }).joined(separator: " · ")
            panels = nil
            legends = [s.activationName + (s.batchNormPhrase.map { ", " + $0 } ?? "")]
            return
        }
        func shared(_ facet: (Surface) -> String?) -> Bool { Set(surfaces.map { facet($0) ?? "" }).count == 1 }
        let sameModel = shared { $0.model.name }, sameDirections = shared { $0.directionsPhrase }
        let sameSeed = shared { $0.seedPhrase }, sameBatchNorm = shared { $0.batchNormPhrase }
        // The activation names a panel, unless two different models share one: then the model name does.
        let byActivation = Dictionary(grouping: surfaces, by: \.activationName)
        let activationIsEnough = byActivation.values.allSatisfy { Set($0.map(\.model.name)).count == 1 }
        var common: [String] = []
        if sameModel { common.append("\(surfaces[0].model.name) (\(surfaces[0].activationName))") }
        if sameDirections { common.append(surfaces[0].directionsPhrase) }
        if sameSeed, let seed = surfaces[0].seedPhrase { common.append(seed) }
        if sameBatchNorm, let bn = surfaces[0].batchNormPhrase { common.append(bn) }
        figure = metric.rawValue + (common.isEmpty ? "" : " — " + common.joined(separator: ", "))
        legends = surfaces.map { s in
            var parts = [activationIsEnough ? s.activationName : s.model.name]
            if !sameDirections { parts.append(s.directionsPhrase) }
            if !sameSeed, let seed = s.seedPhrase { parts.append(seed) }
            if !sameBatchNorm, let bn = s.batchNormPhrase { parts.append(bn) }
            return parts.joined(separator: " · ")
        }
        panels = zip(surfaces, legends).map { s, legend in
            ([legend, accuracy(s), s.divergedPhrase.map { $0 + Self.divergedKey }].compactMap { $0 }).joined(separator: " — ")
        }
    }

    /// How pictures show diverged points (LandscapeRender's `Hatch.diverged`).
    public static let divergedKey = " (dark grey)"
}

extension Surface {
    /// The activation's display name ("Mish"); the activation string as stored when unknown.
    public var activationName: String { (try? Activation(parsing: model.activation))?.displayName ?? model.activation }
}
