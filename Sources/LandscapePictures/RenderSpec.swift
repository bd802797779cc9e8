import Foundation
import Landscape
import LandscapeRender

/// How to draw one or more surfaces (the reference's plot_2D.py options and the
/// page's): every field typed, with its default and its check, once. The CLI's
/// `render` builds it from its flags, the API from a picture's query string,
/// and the OpenAPI document lists `fields()`; both call `validated()`.
public struct RenderSpec: Sendable, Hashable {
    public enum Kind: String, CaseIterable, Sendable {
        case contour, filled, heatmap, surface3d, line
        var gridKind: GridPlotKind? { GridPlotKind(rawValue: rawValue) }
    }

    public var kind: Kind = .contour
    public var metric: SurfaceMetric = .loss
    public var vmin: Double?
    public var vmax: Double?
    public var vlevel: Double?
    /// Contour levels evenly spaced on the colour scale (geometric on a log scale) strictly between
    /// vmin and vmax, as the page draws them; vlevel takes precedence. nil: levels at round values.
    public var levels: Int?
    /// Logarithmic colour scale (and loss axis of line plots); nil: `defaultLogScale(for:)`.
    public var log: Bool?
    public var colormap: Colormap = .viridis
    public var azimuth = -60.0
    public var elevation = 30.0
    public var zMax: Double?
    public var width = 800
    public var height = 600
    public var scale = 1.0
    public var title: String?
    public var transparent = false
    /// PNG, SVG or PDF: one drawing code, three cairo back ends (the CLI picks it from the file name, the API from the path).
    public var format: PictureFormat = .png
    public init() {}

    /// Pixels per side before `scale`: below 64 nothing is legible; 4096² is ≈ 65 MB while drawn.
    public static let sizeRange = 64...4096
    /// Device-pixel factor (2 for a retina figure); the picture is at most `sizeRange.upperBound` × this per side.
    public static let scaleRange = 0.25...4.0
    /// Surfaces side by side in one picture: more panels are too narrow to read.
    public static let maximumSurfaces = 8
    /// Contour levels a picture may ask for: 2 (one line) to 100 (denser reads as a filled plot); 20 on the page at first.
    public static let levelRange = 2...100
    public static let defaultLevels = 20
    /// Titles are one line over the picture.
    public static let maximumTitleLength = 200

    /// The scale drawn: the one asked for, else the metric's default.
    public var logScale: Bool { log ?? Self.defaultLogScale(for: metric) }

    /// Log for loss (it spans decades: 0.17 at the centre, over 100 at the edge, as the page
    /// shows it by default), linear for accuracy (0…1).
    public static func defaultLogScale(for metric: SurfaceMetric) -> Bool { metric == .loss }

    /// Every check of a picture request, each naming its field.
    public func validated() throws(SpecError) -> RenderSpec {
        for (name, value) in [("vmin", vmin), ("vmax", vmax), ("vlevel", vlevel), ("zmax", zMax), ("azimuth", azimuth),
                              ("elevation", elevation), ("scale", scale)] {
            if let value, !value.isFinite { throw SpecError(name, "expected a finite number, got \(value)") }
        }
        if let vmin, let vmax, vmin >= vmax { throw SpecError("vmin, vmax", "expected vmin < vmax, got \(vmin) and \(vmax)") }
        if let vlevel, vlevel <= 0 { throw SpecError("vlevel", "expected a positive level spacing, got \(vlevel)") }
        if let levels, !Self.levelRange.contains(levels) {
            throw SpecError("levels", "expected \(Self.levelRange.lowerBound)...\(Self.levelRange.upperBound) contour levels, got \(levels)")
        }
        if logScale, let vmin, vmin <= 0 {
            throw SpecError("vmin", "a log scale needs vmin > 0, got \(vmin) (or ask for a linear scale)")
        }
        guard (-90...90).contains(elevation) else { throw SpecError("elevation", "expected -90...90 degrees, got \(elevation)") }
        for (name, value) in [("width", width), ("height", height)] where !Self.sizeRange.contains(value) {
            throw SpecError(name, "expected \(Self.sizeRange.lowerBound)...\(Self.sizeRange.upperBound) pixels, got \(value)")
        }
        guard Self.scaleRange.contains(scale) else {
            throw SpecError("scale", "expected \(Self.scaleRange.lowerBound)...\(Self.scaleRange.upperBound), got \(scale)")
        }
        if let title, title.count > Self.maximumTitleLength || title.contains(where: \.isNewline) {
            throw SpecError("title", "expected one line of at most \(Self.maximumTitleLength) characters")
        }
        return self
    }

    /// The picture query's fields with their types, defaults and limits (`compare` is the route's own).
    public static func fields() -> [SpecField] {
        let defaults = RenderSpec()
        return [
            SpecField(name: "kind", type: "string", description: "picture kind (line for 1D surfaces)",
                      defaultValue: defaults.kind.rawValue, allowed: Kind.allCases.map(\.rawValue)),
            SpecField(name: "metric", type: "string", description: "what to draw",
                      defaultValue: defaults.metric.rawValue, allowed: SurfaceMetric.allCases.map(\.rawValue)),
            SpecField(name: "width", type: "integer", description: "pixels", defaultValue: String(defaults.width),
                      minimum: sizeRange.lowerBound, maximum: sizeRange.upperBound),
            SpecField(name: "height", type: "integer", description: "pixels", defaultValue: String(defaults.height),
                      minimum: sizeRange.lowerBound, maximum: sizeRange.upperBound),
            SpecField(name: "vmin", type: "number", description: "lowest contour level / colour (default: data minimum)"),
            SpecField(name: "vmax", type: "number", description: "highest level / colour (default: data maximum)"),
            SpecField(name: "vlevel", type: "number", description: "level spacing (levels vmin, vmin+vlevel, … < vmax)",
                      minimum: 0, exclusiveMinimum: true),
            SpecField(name: "levels", type: "integer",
                      description: "contour levels evenly spaced on the colour scale between vmin and vmax (geometric on a log scale; vlevel wins)",
                      minimum: levelRange.lowerBound, maximum: levelRange.upperBound),
            SpecField(name: "zmax", type: "number", description: "3D: clip the surface above this (default: vmax)"),
            SpecField(name: "log", type: "boolean", description: "log colour scale (default: log for loss, linear for accuracy)"),
            SpecField(name: "transparent", type: "boolean", description: "transparent background", defaultValue: "false"),
            SpecField(name: "cmap", type: "string", description: "colour map", defaultValue: defaults.colormap.rawValue,
                      allowed: Colormap.allCases.map(\.rawValue)),
            SpecField(name: "azimuth", type: "number", description: "3D view azimuth in degrees", defaultValue: "\(defaults.azimuth)"),
            SpecField(name: "elevation", type: "number", description: "3D view elevation in degrees",
                      defaultValue: "\(defaults.elevation)", minimum: -90, maximum: 90),
        ]
    }

    /// The API's query form (`?kind=heatmap&vmin=0.1&log=1`): unknown values refused with the field named.
    public static func decode(query: [String: String]) throws(SpecError) -> RenderSpec {
        var spec = RenderSpec()
        if let text = query["kind"] { spec.kind = try SpecError.choice(text, field: "kind") }
        if let text = query["metric"] { spec.metric = try SpecError.choice(text, field: "metric") }
        if let text = query["cmap"] { spec.colormap = try SpecError.choice(text, field: "cmap") }
        spec.vmin = try number(query, "vmin")
        spec.vmax = try number(query, "vmax")
        spec.vlevel = try number(query, "vlevel")
        spec.levels = try integer(query, "levels")
        spec.zMax = try number(query, "zmax")
        spec.azimuth = try number(query, "azimuth") ?? spec.azimuth
        spec.elevation = try number(query, "elevation") ?? spec.elevation
        spec.log = try boolean(query, "log", yes: "log", no: "linear")
        spec.transparent = try boolean(query, "transparent") ?? spec.transparent
        spec.width = try integer(query, "width") ?? spec.width
        spec.height = try integer(query, "height") ?? spec.height
        return try spec.validated()
    }

    private static func number(_ query: [String: String], _ field: String) throws(SpecError) -> Double? {
        guard let text = query[field], !text.isEmpty else { return nil }
        guard let value = Double(text), value.isFinite else { throw SpecError(field, "'\(text)' is not a finite number") }
        return value
    }

    private static func integer(_ query: [String: String], _ field: String) throws(SpecError) -> Int? {
        guard let text = query[field], !text.isEmpty else { return nil }
        guard let value = Int(text) else { throw SpecError(field, "'\(text)' is not an integer") }
        return value
    }

    /// 1/true/yes (or `yes`) and 0/false/no (or `no`); absent or empty: nil, the field's default.
    private static func boolean(_ query: [String: String], _ field: String, yes: String = "yes", no: String = "no")
        throws(SpecError) -> Bool? {
        guard let text = query[field]?.lowercased(), !text.isEmpty else { return nil }
        if ["1", "true", "yes", yes].contains(text) { return true }
        if ["0", "false", "no", no].contains(text) { return false }
        throw SpecError(field, "'\(text)': expected 1 or 0 (true/false, \(yes)/\(no)), or leave it out for the default")
    }
}
