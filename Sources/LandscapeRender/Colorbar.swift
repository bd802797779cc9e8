/// A vertical colour bar: the colormap from scale.low (bottom) to scale.high (top), ticks on the right.
/// Filled contours show their bands; contour plots mark each level with a line across the bar.
struct Colorbar {
    var area: Rect
    var levels: ResolvedLevels
    var kind: GridPlotKind
    var colormap: Colormap

    func draw(_ canvas: Canvas, style: PlotStyle, label: String?) throws {
        let scale = levels.scale
        let bands = levels.bandColors(colormap)
        try canvas.raster(area) { _, dy in
            let t = (area.maxY - dy / canvas.scale) / area.height
            if kind == .filled {
                return bands.colors[ResolvedLevels.band(of: scale.value(atFraction: t), edges: bands.edges)]
            }
            return colormap.color(at: t)
        }
        if kind == .contour || kind == .filled {
            for level in levels.levels where level >= scale.low && level <= scale.high {
                let y = area.maxY - (scale.fraction(level) ?? 0) * area.height
                canvas.line(area.x, y, area.maxX, y, RGBA(0, 0, 0, 0.6), width: 0.8)
            }
        }
        canvas.stroke(area, Axes.axisColor, lineWidth: 1)
        let axes = Axes(area: area, x: scale, y: scale)
        axes.drawYAxis(canvas, style: style, label: label, right: true)
    }
}
