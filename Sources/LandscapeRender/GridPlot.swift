import CCairo
import Foundation

/// One grid of a figure, its panel title (e.g. "Mish · seed 7 — test acc 91.2 %") and, where
/// they differ from the figure's (`PlotStyle.xLabel` / `yLabel`), its own axis labels.
public struct GridPanel: Sendable {
    public var title: String?
    public var grid: Grid2D
    public var xLabel: String?, yLabel: String?
    /// A path drawn over the panel (a training trajectory in the surface's plane).
    public var path: PathOverlay?
    public init(title: String? = nil, grid: Grid2D, xLabel: String? = nil, yLabel: String? = nil, path: PathOverlay? = nil) {
        self.title = title; self.grid = grid; self.xLabel = xLabel; self.yLabel = yLabel; self.path = path
    }
}

/// Contour, filled-contour, heatmap and 3D plots of one grid or several side by side,
/// with one colour scale and one set of levels shared by all panels.
/// Flat kinds draw every panel with one length per data unit on both axes and in all panels
/// (a square for a square grid range), so shapes and sharpness compare undistorted.
public enum GridPlot {
    public static func render(_ grid: Grid2D, kind: GridPlotKind, options: GridPlotOptions = GridPlotOptions()) throws -> RenderedPlot {
        try render([GridPanel(grid: grid)], kind: kind, options: options)
    }

    /// The contour levels and colour scale a figure of these grids would use.
    public static func levels(for grids: [Grid2D], options: GridPlotOptions) throws -> (levels: [Double], scale: ValueScale) {
        let resolved = try ResolvedLevels(grids: grids, options: options)
        return (resolved.levels, resolved.scale)
    }

    public static func render(_ panels: [GridPanel], kind: GridPlotKind, options: GridPlotOptions = GridPlotOptions()) throws -> RenderedPlot {
        guard !panels.isEmpty else { throw RenderError.invalidData(field: "panels", detail: "expected at least one grid") }
        let style = options.style
        let canvas = try Canvas(width: style.width, height: style.height, scale: style.scale, transparent: style.transparent, format: style.format)
        var options = options
        if kind == .surface3d, let zMax = options.zMax {
            // The clipped z range is the colour range too, so the colours use the whole map.
            let dataMax = panels.compactMap(\.grid.finiteRange?.upperBound).max() ?? zMax
            options.vmax = min(options.vmax ?? dataMax, zMax)
        }
        let levels = try ResolvedLevels(grids: panels.map(\.grid), options: options)
        let hasTitles = panels.contains { $0.title != nil }
        let layout = FigureLayout(style: style, panelCount: panels.count, colorbar: options.colorbar, panelTitles: hasTitles)
        layout.drawTitle(canvas, style)
        let titleStrip = hasTitles ? style.labelFontSize * 1.8 : 0
        var geometries: [PanelGeometry] = []
        if kind == .surface3d {
            for (panel, frame) in zip(panels, layout.panels) {
                drawPanelTitle(panel.title, canvas, centreX: frame.x + frame.width / 2, top: frame.y + 2, width: frame.width, style: style)
                var surface = try SurfacePanel(grid: panel.grid, area: frame.inset(top: titleStrip), levels: levels, options: options,
                                               xLabel: panel.xLabel ?? style.xLabel, yLabel: panel.yLabel ?? style.yLabel)
                surface.path = panel.path
                geometries.append(try surface.draw(canvas))
            }
        } else {
            let ranges = panels.map { FlatPanel.dataRanges($0.grid, kind: kind) }
            let available = layout.panels.map { $0.inset(top: titleStrip).inset(left: axisMargins(style).left, top: 6, right: 8,
                                                                                 bottom: axisMargins(style).bottom) }
            let areas = equalScaleAreas(available: available, spans: ranges.map { ($0.0.upperBound - $0.0.lowerBound, $0.1.upperBound - $0.1.lowerBound) })
            for (i, panel) in panels.enumerated() {
                let area = areas[i], (xRange, yRange) = ranges[i]
                drawPanelTitle(panel.title, canvas, centreX: area.x + area.width / 2, top: area.y - 6 - titleStrip + 2,
                               width: layout.panels[i].width, style: style)
                let axes = Axes(area: area, x: try ValueScale(low: xRange.lowerBound, high: xRange.upperBound),
                                y: try ValueScale(low: yRange.lowerBound, high: yRange.upperBound))
                try FlatPanel(grid: panel.grid, axes: axes, levels: levels, options: options, path: panel.path).draw(canvas, kind: kind)
                axes.drawXAxis(canvas, style: style, label: panel.xLabel ?? style.xLabel)
                axes.drawYAxis(canvas, style: style, label: panel.yLabel ?? style.yLabel)
                var geometry = axes.geometry(scale: canvas.scale)
                if let path = panel.path {
                    geometry.pathPoints = zip(path.x, path.y).map { axes.point($0, $1) }.map { ($0 * canvas.scale, $1 * canvas.scale) }
                }
                geometries.append(geometry)
            }
        }
        var barGeometry: ColorbarGeometry?
        if var barArea = layout.colorbar {
            if kind != .surface3d, let top = geometries.map(\.plotArea.y).min(), let bottom = geometries.map(\.plotArea.maxY).max() {
                // As tall as the data areas, beside them.
                barArea.y = top / canvas.scale; barArea.height = (bottom - top) / canvas.scale
            }
            try Colorbar(area: barArea, levels: levels, kind: kind, colormap: options.colormap)
                .draw(canvas, style: style, label: options.colorbarLabel.map { options.logScale ? "\($0) (log scale)" : $0 })
            barGeometry = ColorbarGeometry(area: barArea.scaled(canvas.scale), scale: levels.scale)
        }
        return RenderedPlot(data: try canvas.output(title: style.title), format: canvas.format, pixelWidth: canvas.pixelWidth, pixelHeight: canvas.pixelHeight,
                            panels: geometries, colorbar: barGeometry)
    }

    /// Room for tick labels and an axis label left of and below a flat panel's data area.
    static func axisMargins(_ style: PlotStyle) -> (left: Double, bottom: Double) {
        (style.tickFontSize * 4 + style.labelFontSize * 1.6 + 4, style.tickFontSize * 1.6 + style.labelFontSize * 1.6 + 12)
    }

    /// Data areas with one length per data unit on both axes and in every panel: the largest
    /// such scale at which each span fits its available rectangle; each area centred in its
    /// rectangle horizontally, all sharing the vertical centre line of the tallest.
    static func equalScaleAreas(available: [Rect], spans: [(x: Double, y: Double)]) -> [Rect] {
        let unit = zip(available, spans).map { min($0.width / $1.x, $0.height / $1.y) }.min() ?? 1
        let tallest = spans.map { $0.y * unit }.max() ?? 0
        return zip(available, spans).map { rect, span in
            let w = span.x * unit, h = span.y * unit
            let top = rect.y + (rect.height - tallest) / 2 + (tallest - h) / 2
            return Rect(x: rect.x + (rect.width - w) / 2, y: top, width: w, height: h)
        }
    }

    /// A panel title centred above its panel, shrunk to fit the panel's width.
    static func drawPanelTitle(_ title: String?, _ canvas: Canvas, centreX: Double, top: Double, width: Double, style: PlotStyle) {
        guard let title else { return }
        let fit = canvas.fitted(title, size: style.labelFontSize, width: width - 4, bold: true)
        canvas.text(fit.text, x: centreX, y: top, size: fit.size, bold: true, alignX: 0.5, alignY: 0)
    }
}

/// Splits the image into a title strip, equal panels side by side and a colour-bar strip.
struct FigureLayout {
    var title: Rect?
    var panels: [Rect]
    var colorbar: Rect?

    static let margin = 10.0, colorbarWidth = 18.0, colorbarStrip = 90.0

    init(style: PlotStyle, panelCount: Int, colorbar hasColorbar: Bool, panelTitles: Bool) {
        let w = Double(style.width), h = Double(style.height), m = FigureLayout.margin
        var top = m
        if style.title != nil {
            title = Rect(x: 0, y: m, width: w, height: style.titleFontSize * 1.6)
            top += style.titleFontSize * 1.6 + 4
        }
        let right = hasColorbar ? FigureLayout.colorbarStrip : 0
        let panelWidth = (w - 2 * m - right) / Double(panelCount)
        panels = (0..<panelCount).map { Rect(x: m + Double($0) * panelWidth, y: top, width: panelWidth, height: h - top - m) }
        if hasColorbar {
            let barTop = top + (panelTitles ? style.labelFontSize * 1.8 : 0) + 6
            colorbar = Rect(x: w - m - right + 8, y: barTop, width: FigureLayout.colorbarWidth,
                            height: max(h - barTop - m - style.tickFontSize * 1.6 - style.labelFontSize * 1.6 - 12, 10))
        }
    }

    func drawTitle(_ canvas: Canvas, _ style: PlotStyle) {
        guard let text = style.title, let title else { return }
        let fit = canvas.fitted(text, size: style.titleFontSize, width: title.width - 4 * FigureLayout.margin, bold: true)
        canvas.text(fit.text, x: title.x + title.width / 2, y: title.y, size: fit.size, bold: true, alignX: 0.5, alignY: 0)
    }
}
