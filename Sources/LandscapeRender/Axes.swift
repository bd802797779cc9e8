/// A 2D data area: maps data coordinates to logical pixels and draws frame, ticks and labels.
struct Axes {
    var area: Rect
    var x: ValueScale, y: ValueScale

    func point(_ px: Double, _ py: Double) -> (Double, Double) {
        (area.x + (x.fraction(px) ?? 0) * area.width, area.maxY - (y.fraction(py) ?? 0) * area.height)
    }

    /// Data coordinates of a device pixel centre.
    func data(deviceX: Double, deviceY: Double, scale: Double) -> (Double, Double) {
        let lx = deviceX / scale, ly = deviceY / scale
        return (x.value(atFraction: (lx - area.x) / area.width), y.value(atFraction: (area.maxY - ly) / area.height))
    }

    func geometry(scale: Double) -> PanelGeometry {
        PanelGeometry(plotArea: area.scaled(scale), xRange: x.low...x.high, yRange: y.low...y.high)
    }

    static let tickLength = 5.0
    static let axisColor = RGBA(0.15, 0.15, 0.15)

    func drawFrame(_ canvas: Canvas) { canvas.stroke(area, Axes.axisColor, lineWidth: 1) }

    func drawXAxis(_ canvas: Canvas, style: PlotStyle, label: String?) {
        let ticks = x.ticks(maximumCount: max(3, min(8, Int(area.width / 70))))
        for (value, text) in zip(ticks, Ticks.labels(ticks)) {
            let (px, _) = point(value, y.low)
            canvas.line(px, area.maxY, px, area.maxY + Axes.tickLength, Axes.axisColor)
            canvas.text(text, x: px, y: area.maxY + Axes.tickLength + 2, size: style.tickFontSize, alignX: 0.5, alignY: 0)
        }
        if let label {
            let fit = canvas.fitted(label, size: style.labelFontSize, width: area.width + 40)
            canvas.text(fit.text, x: area.x + area.width / 2, y: area.maxY + Axes.tickLength + style.tickFontSize * 1.6 + 4,
                        size: fit.size, alignX: 0.5, alignY: 0)
        }
    }

    /// Left axis by default; `right` draws `scale` on the right edge (a second y axis).
    func drawYAxis(_ canvas: Canvas, style: PlotStyle, label: String?, scale: ValueScale? = nil, right: Bool = false,
                   color: RGBA = Axes.axisColor) {
        let s = scale ?? y
        let ticks = s.ticks(maximumCount: max(3, min(8, Int(area.height / 45))))
        let labels = Ticks.labels(ticks)
        let edge = right ? area.maxX : area.x, direction = right ? 1.0 : -1.0
        var widest = 0.0
        for (value, text) in zip(ticks, labels) {
            let py = area.maxY - (s.fraction(value) ?? 0) * area.height
            canvas.line(edge, py, edge + direction * Axes.tickLength, py, color)
            canvas.text(text, x: edge + direction * (Axes.tickLength + 3), y: py, size: style.tickFontSize, color: color,
                        alignX: right ? 0 : 1, alignY: 0.5)
            widest = max(widest, canvas.textWidth(text, size: style.tickFontSize))
        }
        if let label {
            let lx = edge + direction * (Axes.tickLength + 8 + widest)
            let fit = canvas.fitted(label, size: style.labelFontSize, width: area.height + 20)
            canvas.text(fit.text, x: lx, y: area.y + area.height / 2, size: fit.size, color: color,
                        alignX: 0.5, alignY: right ? 0 : 1, angle: -.pi / 2)
        }
    }
}
