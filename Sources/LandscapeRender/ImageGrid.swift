import Foundation

/// Options of an image grid ("output landscapes"): square panels side by side.
public struct ImageGridOptions: Sendable, Equatable {
    public var style: PlotStyle = { var s = PlotStyle(); s.width = 1200; s.height = 440; return s }()
    /// nil = greyscale (black = low, white = high).
    public var colormap: Colormap? = .viridis
    /// One value range for every panel (default: each panel its own, as the Mish paper's figure).
    public var sharedScale = false
    public init() {}
}

/// Several 2D scalar fields as images, each with its title, scaled to its own (or a shared) range.
public enum ImageGrid {
    public static func render(_ panels: [GridPanel], options: ImageGridOptions = ImageGridOptions()) throws -> RenderedPlot {
        guard !panels.isEmpty else { throw RenderError.invalidData(field: "panels", detail: "expected at least one image") }
        let style = options.style
        let canvas = try Canvas(width: style.width, height: style.height, scale: style.scale, transparent: style.transparent, format: style.format)
        let layout = FigureLayout(style: style, panelCount: panels.count, colorbar: false, panelTitles: true)
        layout.drawTitle(canvas, style)
        let shared = panels.compactMap(\.grid.finiteRange)
        var geometries: [PanelGeometry] = []
        for (panel, frame) in zip(panels, layout.panels) {
            if let title = panel.title {
                canvas.text(title, x: frame.x + frame.width / 2, y: frame.y + 2, size: style.labelFontSize, bold: true, alignX: 0.5, alignY: 0)
            }
            let body = frame.inset(left: 4, top: style.labelFontSize * 1.8 + 4, right: 4, bottom: 4)
            let side = min(body.width, body.height)
            let area = Rect(x: body.x + (body.width - side) / 2, y: body.y, width: side, height: side)
            let range = options.sharedScale ? (shared.map(\.lowerBound).min() ?? 0)...(shared.map(\.upperBound).max() ?? 1)
                                            : (panel.grid.finiteRange ?? 0...1)
            let scale = try ValueScale(low: range.lowerBound, high: range.upperBound > range.lowerBound ? range.upperBound : range.lowerBound + 1)
            let (xRange, yRange) = FlatPanel.dataRanges(panel.grid, kind: .heatmap)
            let axes = Axes(area: area, x: try ValueScale(low: xRange.lowerBound, high: xRange.upperBound),
                            y: try ValueScale(low: yRange.lowerBound, high: yRange.upperBound))
            let xEdges = FlatPanel.midpoints(panel.grid.x), yEdges = FlatPanel.midpoints(panel.grid.y)
            try canvas.raster(area) { dx, dy in
                let (x, y) = axes.data(deviceX: dx, deviceY: dy, scale: canvas.scale)
                let c = ResolvedLevels.band(of: x, edges: xEdges), r = ResolvedLevels.band(of: y, edges: yEdges)
                guard let v = panel.grid.value(row: r, column: c) else { return Hatch.color(px: Int(dx), py: Int(dy), scale: canvas.scale) }
                let t = min(max(scale.fraction(v) ?? 0, 0), 1)
                return options.colormap?.color(at: t) ?? RGBA(t, t, t)
            }
            canvas.stroke(area, Axes.axisColor, lineWidth: 0.8)
            geometries.append(axes.geometry(scale: canvas.scale))
        }
        return RenderedPlot(data: try canvas.output(title: style.title), format: canvas.format, pixelWidth: canvas.pixelWidth, pixelHeight: canvas.pixelHeight,
                            panels: geometries, colorbar: nil)
    }
}
