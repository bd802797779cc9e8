import ArgumentParser
import Foundation
import Landscape
import LandscapePictures
import LandscapeRender

extension GridPlotKind: ExpressibleByArgument {}
extension Colormap: ExpressibleByArgument {}
extension SurfaceMetric: ExpressibleByArgument {}

/// The plot kinds of `render`: the 2D kinds of LandscapeRender plus 1D lines.
extension RenderSpec.Kind: ExpressibleByArgument {}

/// `--log` or `--linear`; neither: log for loss, linear for accuracy (`RenderSpec.defaultLogScale`).
enum ColourScaleFlag: String, EnumerableFlag {
    case log, linear
    static func help(for value: ColourScaleFlag) -> ArgumentHelp? {
        switch value {
        case .log: return "Logarithmic colour scale and levels (the default for loss, which must be > 0)."
        case .linear: return "Linear colour scale and levels (the default for accuracy)."
        }
    }
}

struct RenderCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render",
        abstract: "Draw a surface JSON (or several side by side with --compare) as PNG, SVG or PDF.",
        discussion: "Levels follow the reference's vmin:vmax:vlevel (e.g. --vmin 0.1 --vmax 10 --vlevel 0.5).")

    @Argument(help: "A surface JSON file (omit with --compare or --study).") var surface: String?
    @Option(help: "A seed study JSON (from `landscape surface --seeds`): strip plots of curvature and width per model, one dot per seed.")
    var study: String?
    @Option(parsing: .upToNextOption, help: "Several surface JSON files drawn side by side with one shared colour scale.")
    var compare: [String] = []
    @Option(help: "A convexity map of the surface (`landscape convexity`), drawn beside it as a heatmap of |λmin/λmax|.")
    var convexity: String?
    // Defaults are the spec's (`RenderSpec()`), as the API's are.
    @Option(help: "contour, filled, heatmap, surface3d or line (1D surfaces).") var kind = RenderSpec().kind
    @Option(help: "loss or accuracy.") var metric = RenderSpec().metric
    @Option(parsing: .unconditional, help: "Lowest value of the colour scale and levels (default: data minimum).") var vmin: Double?
    @Option(parsing: .unconditional, help: "Highest value of the colour scale and levels (default: data maximum).") var vmax: Double?
    @Option(help: "Spacing of contour levels (levels vmin, vmin+vlevel, … < vmax).") var vlevel: Double?
    @Option(help: "Contour levels evenly spaced on the colour scale between --vmin and --vmax (geometric on a log scale, as the page; --vlevel wins).")
    var levels: Int?
    @Flag var colourScale: ColourScaleFlag?
    @Option(help: "Colormap: viridis, magma, coolwarm, summer.") var cmap = RenderSpec().colormap
    @Option(parsing: .unconditional, help: "3D view azimuth in degrees.") var azimuth = RenderSpec().azimuth
    @Option(parsing: .unconditional, help: "3D view elevation in degrees (−90…90).") var elevation = RenderSpec().elevation
    @Option(help: "3D: clip z above this value (default: vmax).") var zmax: Double?
    @Option(help: "Image width in pixels (before --scale; \(RenderSpec.sizeRange.lowerBound)…\(RenderSpec.sizeRange.upperBound)).")
    var width = RenderSpec().width
    @Option(help: "Image height in pixels (before --scale).") var height = RenderSpec().height
    @Option(help: "DPI factor: 2 doubles the pixel size.") var scale = RenderSpec().scale
    @Option(help: "Figure title (default: model, seed and metric).") var title: String?
    @Flag(help: "Transparent background.") var transparent = false
    @OptionGroup var output: PictureOutputOptions

    /// The same spec the API builds from a picture's query string.
    var spec: RenderSpec {
        var spec = RenderSpec()
        spec.kind = kind; spec.metric = metric
        spec.vmin = vmin; spec.vmax = vmax; spec.vlevel = vlevel; spec.levels = levels; spec.log = colourScale.map { $0 == .log }; spec.colormap = cmap
        spec.azimuth = azimuth; spec.elevation = elevation; spec.zMax = zmax
        spec.width = width; spec.height = height; spec.scale = scale
        spec.title = title; spec.transparent = transparent
        return spec
    }

    func validate() throws {
        if study != nil {
            if surface != nil || !compare.isEmpty { throw ValidationError("give either --study FILE or surfaces, not both") }
            return
        }
        if surface == nil && compare.isEmpty { throw ValidationError("give a surface JSON file, several after --compare, or --study FILE") }
        if surface != nil && !compare.isEmpty { throw ValidationError("give either one surface or --compare A.json B.json …, not both") }
        if convexity != nil && surface == nil { throw ValidationError("--convexity: expected one surface JSON file, not --compare") }
        if compare.count > RenderSpec.maximumSurfaces {
            throw ValidationError("--compare: at most \(RenderSpec.maximumSurfaces) surfaces side by side, got \(compare.count)")
        }
        do { _ = try spec.validated() } catch {
            throw ValidationError(SpecFlags.of(error, renamed: ["cmap": "--cmap"]))
        }
    }

    func run() throws {
        if let study {
            let plot = try Pictures.seedStudy(try SeedStudy.load(study), width: width, height: height, scale: scale, format: try output.resolved())
            try plot.write(to: output.url)
            return output.report(plot)
        }
        let surfaces = try (surface.map { [$0] } ?? compare).map(Surface.load)
        var spec = self.spec
        spec.format = try output.resolved()
        let plot = try convexity.map { try Pictures.convexity(surfaces[0], try ConvexityMap.load($0), spec) }
            ?? Pictures.surfaces(surfaces, spec)
        try plot.write(to: output.url)
        output.report(plot)
    }
}
