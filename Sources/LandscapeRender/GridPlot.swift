import CCairo
import Foundation

/// One grid of a figure and its panel title (e.g. "Mish — test acc 91.2 %").
public struct GridPanel: Sendable {
    public var title: String?
    public var grid: Grid2D
    public init(title: String? = nil, grid: Grid2D) { self.title = title; self.grid = grid }
}

/// Contour, filled-contour, heatmap and 3D plots of one grid or several side by side,
/// with one colour scale and one set of levels shared by all panels.
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
        let canvas = try Canvas(width: style.width, height: style.height, scale: style.scale, transparent: style.transparent)
        var options = options
        if kind == .surface3d, let zMax = options.zMax {
            // The clipped z range is the colour range too, so the colours use the whole map.
            let dataMax = panels.compactMap(\.grid.finiteRange?.upperBound).max() ?? zMax
            options.vmax = min(options.vmax ?? dataMax, zMax)
        }
        let levels = try ResolvedLevels(grids: panels.map(\.grid), options: options)
        let layout = FigureLayout(style: style, panelCount: panels.count, colorbar: options.colorbar,
                                  panelTitles: panels.contains { $0.title != nil })
        layout.drawTitle(canvas, style)
        var geometries: [PanelGeometry] = []
        for (panel, frame) in zip(panels, layout.panels) {
            if let title = panel.title {
                canvas.text(title, x: frame.x + frame.width / 2, y: frame.y + 2, size: style.labelFontSize, bold: true,
                            alignX: 0.5, alignY: 0)
            }
            let body = panel.title == nil ? frame : frame.inset(top: style.labelFontSize * 1.8)
            if kind == .surface3d {
                let surface = try SurfacePanel(grid: panel.grid, area: body, levels: levels, options: options)
                geometries.append(try surface.draw(canvas))
                continue
            }
            let (xRange, yRange) = FlatPanel.dataRanges(panel.grid, kind: kind)
            let area = body.inset(left: style.tickFontSize * 4 + style.labelFontSize * 1.6 + 4, top: 6, right: 8,
                                  bottom: style.tickFontSize * 1.6 + style.labelFontSize * 1.6 + 12)
            let axes = Axes(area: area, x: try ValueScale(low: xRange.lowerBound, high: xRange.upperBound),
                            y: try ValueScale(low: yRange.lowerBound, high: yRange.upperBound))
            try FlatPanel(grid: panel.grid, axes: axes, levels: levels, options: options).draw(canvas, kind: kind)
            axes.drawXAxis(canvas, style: style, label: style.xLabel)
            axes.drawYAxis(canvas, style: style, label: style.yLabel)
            geometries.append(axes.geometry(scale: canvas.scale))
        }
        var barGeometry: ColorbarGeometry?
        if let barArea = layout.colorbar {
            try Colorbar(area: barArea, levels: levels, kind: kind, colormap: options.colormap)
                .draw(canvas, style: style, label: options.colorbarLabel.map { options.logScale ? "\($0) (log scale)" : $0 })
            barGeometry = ColorbarGeometry(area: barArea.scaled(canvas.scale), scale: levels.scale)
        }
        return RenderedPlot(png: try canvas.pngData(), pixelWidth: canvas.pixelWidth, pixelHeight: canvas.pixelHeight,
                            panels: geometries, colorbar: barGeometry)
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
        canvas.text(text, x: title.x + title.width / 2, y: title.y, size: style.titleFontSize, bold: true, alignX: 0.5, alignY: 0)
    }
}
