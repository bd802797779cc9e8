import Foundation

/// One panel of a `SideBySidePlot`: a grid with its own kind, levels, colour
/// scale, colormap and colour-bar label (a loss surface beside a map of
/// another quantity, e.g. Li et al.'s |λmin/λmax|).
public struct SideBySidePanel: Sendable {
    public var panel: GridPanel
    public var kind: GridPlotKind
    public var options: GridPlotOptions
    public init(panel: GridPanel, kind: GridPlotKind, options: GridPlotOptions) {
        self.panel = panel; self.kind = kind; self.options = options
    }
}

/// Flat panels (contour, filled, heatmap) side by side, each with its own colour
/// scale and colour bar, all at one length per data unit on both axes (a surface
/// and a map of its plane line up point for point). The figure's size, title
/// and fonts come from `style`; each panel's options from its own `options`.
public enum SideBySidePlot {
    public static func render(_ parts: [SideBySidePanel], style: PlotStyle) throws -> RenderedPlot {
        guard !parts.isEmpty else { throw RenderError.invalidData(field: "panels", detail: "expected at least one grid") }
        if let part = parts.first(where: { $0.kind == .surface3d }) {
            throw RenderError.invalidOption(name: "kind", detail: "'\(part.kind.rawValue)': panels side by side with their own "
                                            + "colour bars are flat plots: expected contour, filled or heatmap")
        }
        let canvas = try Canvas(width: style.width, height: style.height, scale: style.scale, transparent: style.transparent,
                                format: style.format)
        let hasTitles = parts.contains { $0.panel.title != nil }
        let layout = FigureLayout(style: style, panelCount: parts.count, colorbar: false, panelTitles: hasTitles)
        layout.drawTitle(canvas, style)
        let titleStrip = hasTitles ? style.labelFontSize * 1.8 : 0
        let margins = GridPlot.axisMargins(style)
        // Each frame keeps a colour-bar strip on its right.
        let available = layout.panels.map {
            $0.inset(right: FigureLayout.colorbarStrip).inset(top: titleStrip)
                .inset(left: margins.left, top: 6, right: 8, bottom: margins.bottom)
        }
        let ranges = parts.map { FlatPanel.dataRanges($0.panel.grid, kind: $0.kind) }
        let areas = GridPlot.equalScaleAreas(available: available, spans: ranges.map {
            ($0.0.upperBound - $0.0.lowerBound, $0.1.upperBound - $0.1.lowerBound)
        })
        var geometries: [PanelGeometry] = []
        for (i, part) in parts.enumerated() {
            let area = areas[i], (xRange, yRange) = ranges[i]
            let levels = try ResolvedLevels(grids: [part.panel.grid], options: part.options)
            GridPlot.drawPanelTitle(part.panel.title, canvas, centreX: area.x + area.width / 2, top: area.y - 6 - titleStrip + 2,
                                    width: layout.panels[i].width, style: style)
            let axes = Axes(area: area, x: try ValueScale(low: xRange.lowerBound, high: xRange.upperBound),
                            y: try ValueScale(low: yRange.lowerBound, high: yRange.upperBound))
            try FlatPanel(grid: part.panel.grid, axes: axes, levels: levels, options: part.options, path: part.panel.path)
                .draw(canvas, kind: part.kind)
            axes.drawXAxis(canvas, style: style, label: part.panel.xLabel ?? style.xLabel)
            axes.drawYAxis(canvas, style: style, label: part.panel.yLabel ?? style.yLabel)
            geometries.append(axes.geometry(scale: canvas.scale))
            if part.options.colorbar {
                let bar = Rect(x: area.maxX + 14, y: area.y, width: FigureLayout.colorbarWidth, height: area.height)
                let label = part.options.colorbarLabel.map { part.options.logScale ? "\($0) (log scale)" : $0 }
                try Colorbar(area: bar, levels: levels, kind: part.kind, colormap: part.options.colormap)
                    .draw(canvas, style: style, label: label)
            }
        }
        return RenderedPlot(data: try canvas.output(title: style.title), format: canvas.format, pixelWidth: canvas.pixelWidth,
                            pixelHeight: canvas.pixelHeight, panels: geometries, colorbar: nil)
    }
}
