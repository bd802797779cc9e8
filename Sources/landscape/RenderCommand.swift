import ArgumentParser
import Foundation
import Landscape
import LandscapePictures
import LandscapeRender

extension GridPlotKind: ExpressibleByArgument {}
extension Colormap: ExpressibleByArgument {}
extension SurfaceMetric: ExpressibleByArgument {}

/// The plot kinds of `render`: the 2D kinds of LandscapeRender plus 1D lines.
extension Pictures.Kind: ExpressibleByArgument {}

/// `--log` or `--linear`; neither: log for loss, linear for accuracy (`Pictures.defaultLogScale`).
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

    @Argument(help: "A surface JSON file (omit with --compare).") var surface: String?
    @Option(parsing: .upToNextOption, help: "Several surface JSON files drawn side by side with one shared colour scale.")
    var compare: [String] = []
    @Option(help: "contour, filled, heatmap, surface3d or line (1D surfaces).") var kind: Pictures.Kind = .contour
    @Option(help: "loss or accuracy.") var metric: SurfaceMetric = .loss
    @Option(parsing: .unconditional, help: "Lowest value of the colour scale and levels (default: data minimum).") var vmin: Double?
    @Option(parsing: .unconditional, help: "Highest value of the colour scale and levels (default: data maximum).") var vmax: Double?
    @Option(help: "Spacing of contour levels (levels vmin, vmin+vlevel, … < vmax).") var vlevel: Double?
    @Flag var colourScale: ColourScaleFlag?
    @Option(help: "Colormap: viridis, magma, coolwarm, summer.") var cmap: Colormap = .viridis
    @Option(parsing: .unconditional, help: "3D view azimuth in degrees.") var azimuth = -60.0
    @Option(parsing: .unconditional, help: "3D view elevation in degrees (−90…90).") var elevation = 30.0
    @Option(help: "3D: clip z above this value (default: vmax).") var zmax: Double?
    @Option(help: "Image width in pixels (before --scale).") var width = 800
    @Option(help: "Image height in pixels (before --scale).") var height = 600
    @Option(help: "DPI factor: 2 doubles the pixel size.") var scale = 1.0
    @Option(help: "Figure title (default: model and metric).") var title: String?
    @Flag(help: "Transparent background.") var transparent = false
    @OptionGroup var output: PictureOutputOptions

    func validate() throws {
        if surface == nil && compare.isEmpty { throw ValidationError("give a surface JSON file, or several after --compare") }
        if surface != nil && !compare.isEmpty { throw ValidationError("give either one surface or --compare A.json B.json …, not both") }
        if !(-90...90).contains(elevation) { throw ValidationError("--elevation \(elevation): expected −90…90 degrees") }
    }

    func run() throws {
        let surfaces = try (surface.map { [$0] } ?? compare).map(Surface.load)
        var settings = Pictures.SurfaceSettings()
        settings.kind = kind; settings.metric = metric
        settings.vmin = vmin; settings.vmax = vmax; settings.vlevel = vlevel; settings.log = colourScale.map { $0 == .log }; settings.colormap = cmap
        settings.azimuth = azimuth; settings.elevation = elevation; settings.zMax = zmax
        settings.width = width; settings.height = height; settings.scale = scale
        settings.title = title; settings.transparent = transparent; settings.format = try output.resolved()
        let plot = try Pictures.surfaces(surfaces, settings)
        try plot.write(to: output.url)
        output.report(plot)
    }
}
