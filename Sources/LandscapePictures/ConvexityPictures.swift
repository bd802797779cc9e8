import Foundation
import Landscape
import LandscapeRender

extension Pictures {
    /// A loss surface and its convexity map side by side (Li et al. 2018, Fig. 7): the surface
    /// as `settings` asks (contour, filled or heatmap, its levels and colour scale), and
    /// |λmin/λmax| as a heatmap on a linear scale from 0 with its own colour bar.
    public static func convexity(_ surface: Surface, _ map: ConvexityMap, _ settings: RenderSpec) throws -> RenderedPlot {
        guard map.surfaceId == surface.id else {
            throw LandscapeError.invalidRequest("convexity map \(map.id) belongs to surface \(map.surfaceId), not to surface "
                                                + "\(surface.id): expected the map computed from this surface")
        }
        guard let gridKind = settings.kind.gridKind, gridKind != .surface3d else {
            throw LandscapeError.invalidRequest("kind '\(settings.kind.rawValue)': a convexity map is drawn beside a flat 2D plot: "
                                                + "expected contour, filled or heatmap")
        }
        guard let mapY = map.y, map.columns >= 2, mapY.count >= 2 else {
            throw LandscapeError.invalidRequest("convexity map \(map.id) has \(map.columns) × \(map.rows) points: drawing it needs a 2D map "
                                                + "with at least 2 points along each axis (a smaller --stride)")
        }
        let axes = surface.axisLabels
        var style = PlotStyle()
        style.width = settings.width; style.height = settings.height
        style.scale = settings.scale; style.transparent = settings.transparent; style.format = settings.format
        style.xLabel = axes.x; style.yLabel = axes.y ?? "y"
        style.title = settings.title ?? "\(surface.panelTitle): \(settings.metric.rawValue) and convexity |λmin/λmax| "
            + "(\(map.samples) images, every \(map.stride == 1 ? "" : "\(ordinal(map.stride)) ")point)"

        var left = GridPlotOptions()
        left.style = style
        left.vmin = settings.vmin; left.vmax = settings.vmax; left.vlevel = settings.vlevel
        if settings.vlevel == nil, let count = settings.levels { left.levelCount = count }
        left.logScale = settings.logScale; left.colormap = settings.colormap
        left.colorbarLabel = settings.metric.rawValue

        var right = GridPlotOptions()
        right.style = style
        right.vmin = 0
        // A map with no negative curvature at all is uniformly 0: give its scale some height.
        right.vmax = max(map.ratio.flatMap { $0 }.compactMap { $0 }.max() ?? 0, 1e-3)
        right.logScale = false; right.colormap = settings.colormap; right.labelContours = false
        right.colorbarLabel = "|λmin/λmax|"
        let ratio = try Grid2D(x: map.x, y: mapY, values: map.ratio)
        return try SideBySidePlot.render([
            SideBySidePanel(panel: GridPanel(title: settings.metric.rawValue, grid: try surface.grid(settings.metric)),
                            kind: gridKind, options: left),
            SideBySidePanel(panel: GridPanel(title: "|λmin/λmax| (0: locally convex)", grid: ratio), kind: .heatmap, options: right),
        ], style: style)
    }

    private static func ordinal(_ n: Int) -> String {
        let suffix = (11...13).contains(n % 100) ? "th" : [1: "st", 2: "nd", 3: "rd"][n % 10] ?? "th"
        return "\(n)\(suffix)"
    }
}
