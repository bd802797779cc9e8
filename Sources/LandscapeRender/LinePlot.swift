import CCairo
import Foundation

/// Options of 1D plots: loss (left axis) and accuracy (right axis) along a line.
public struct LinePlotOptions: Sendable, Equatable {
    public var style: PlotStyle = { var s = PlotStyle(); s.xLabel = "α"; s.yLabel = "loss"; return s }()
    public var rightLabel = "accuracy"
    public var logLeft = false
    /// Fixed ranges; default: the data's range (the right axis: 0…1 when the data fits).
    public var leftRange: ClosedRange<Double>?, rightRange: ClosedRange<Double>?
    public var legend = true
    public init() {}
}

/// A qualitative palette (matplotlib's tab10) so overlaid series stay distinguishable.
public enum SeriesPalette {
    static let hex: [UInt32] = [0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf]
    public static let colors: [RGBA] = hex.map { (v: UInt32) -> RGBA in
        let r = Double((v >> 16) & 0xFF), g = Double((v >> 8) & 0xFF), b = Double(v & 0xFF)
        return RGBA(r / 255, g / 255, b / 255)
    }
    public static func color(_ i: Int) -> RGBA { colors[i % colors.count] }
}

/// Loss and accuracy curves on two y axes: left[i] (solid) and right[i] (dashed) share colour i.
/// Missing points break the line and hatch their stretch of the x axis.
public enum LinePlot {
    public static func render(left: [Curve1D], right: [Curve1D] = [], options: LinePlotOptions = LinePlotOptions()) throws -> RenderedPlot {
        guard !left.isEmpty else { throw RenderError.invalidData(field: "left", detail: "expected at least one curve") }
        let style = options.style
        let canvas = try Canvas(width: style.width, height: style.height, scale: style.scale, transparent: style.transparent, format: style.format)
        let layout = FigureLayout(style: style, panelCount: 1, colorbar: false, panelTitles: false)
        layout.drawTitle(canvas, style)
        let all = left + right
        let xs = all.flatMap(\.x)
        let xScale = try ValueScale(low: xs.min()!, high: max(xs.max()!, xs.min()! + 1e-12))
        let leftScale = try range(left, fixed: options.leftRange, log: options.logLeft)
        let rightScale = right.isEmpty ? nil : try range(right, fixed: options.rightRange ?? unitIfFits(right), log: false)
        let side = style.tickFontSize * 4 + style.labelFontSize * 1.6 + 4
        let area = layout.panels[0].inset(left: side, top: 6, right: rightScale == nil ? 10 : side,
                                          bottom: style.tickFontSize * 1.6 + style.labelFontSize * 1.6 + 12)
        let axes = Axes(area: area, x: xScale, y: leftScale)
        try hatchMissing(canvas, axes: axes, curves: all)
        cairo_save(canvas.cr)
        cairo_rectangle(canvas.cr, area.x, area.y, area.width, area.height)
        cairo_clip(canvas.cr)
        for (i, curve) in left.enumerated() { draw(curve, canvas, axes, color: SeriesPalette.color(i), dash: []) }
        if let rightScale {
            let rightAxes = Axes(area: area, x: xScale, y: rightScale)
            for (i, curve) in right.enumerated() { draw(curve, canvas, rightAxes, color: SeriesPalette.color(i), dash: [6, 3]) }
        }
        cairo_restore(canvas.cr)
        axes.drawFrame(canvas)
        axes.drawXAxis(canvas, style: style, label: style.xLabel)
        axes.drawYAxis(canvas, style: style, label: style.yLabel)
        if let rightScale { axes.drawYAxis(canvas, style: style, label: options.rightLabel, scale: rightScale, right: true) }
        if options.legend {
            Legend.draw(canvas, in: area, style: style, entries: left.enumerated().map { ($1.label, SeriesPalette.color($0), []) }
                        + right.enumerated().map { ($1.label, SeriesPalette.color($0), [6, 3]) })
        }
        return RenderedPlot(data: try canvas.output(title: style.title), format: canvas.format, pixelWidth: canvas.pixelWidth, pixelHeight: canvas.pixelHeight,
                            panels: [axes.geometry(scale: canvas.scale)], colorbar: nil)
    }

    static func range(_ curves: [Curve1D], fixed: ClosedRange<Double>?, log: Bool) throws -> ValueScale {
        if let fixed { return try ValueScale(low: fixed.lowerBound, high: fixed.upperBound, logarithmic: log) }
        let values = curves.flatMap { c in c.y.indices.compactMap(c.value) }.filter { !log || $0 > 0 }
        guard var low = values.min(), var high = values.max() else { return try ValueScale(low: log ? 0.1 : 0, high: 1, logarithmic: log) }
        if low == high { (low, high) = log ? (low / 2, high * 2) : (low - 0.5, high + 0.5) }
        // 5 % headroom so curves do not touch the frame.
        if log { return try ValueScale(low: low / pow(high / low, 0.05), high: high * pow(high / low, 0.05), logarithmic: true) }
        return try ValueScale(low: low - 0.05 * (high - low), high: high + 0.05 * (high - low))
    }

    private static func unitIfFits(_ curves: [Curve1D]) -> ClosedRange<Double>? {
        let values = curves.flatMap { c in c.y.indices.compactMap(c.value) }
        return values.allSatisfy { $0 >= 0 && $0 <= 1 } ? 0...1.02 : nil
    }

    /// Polyline through present points; a missing point ends the current piece.
    static func draw(_ curve: Curve1D, _ canvas: Canvas, _ axes: Axes, color: RGBA, dash: [Double], width: Double = 2) {
        var piece: [(Double, Double)] = []
        for i in curve.x.indices {
            if let v = curve.value(i), axes.y.fraction(v) != nil { piece.append(axes.point(curve.x[i], v)); continue }
            canvas.polyline(piece, color, width: width, dash: dash)
            piece = []
        }
        canvas.polyline(piece, color, width: width, dash: dash)
    }

    /// Hatches, full height, the stretch around each x without a value (half way to its
    /// neighbours); dark grey where the point diverged rather than was not computed yet.
    static func hatchMissing(_ canvas: Canvas, axes: Axes, curves: [Curve1D]) throws {
        var spans: [(Double, Double, PointState)] = []
        for c in curves {
            for i in c.x.indices where c.value(i) == nil {
                let lo = i > 0 ? (c.x[i - 1] + c.x[i]) / 2 : c.x[i], hi = i < c.x.count - 1 ? (c.x[i] + c.x[i + 1]) / 2 : c.x[i]
                spans.append((axes.point(lo, axes.y.low).0, axes.point(hi, axes.y.low).0, c.state(i)))
            }
        }
        guard !spans.isEmpty else { return }
        try canvas.raster(axes.area) { dx, dy in
            let lx = dx / canvas.scale
            // Not computed wins over diverged where curves disagree: that point may still get a value.
            let states = spans.filter { lx >= $0.0 - 0.5 && lx <= $0.1 + 0.5 }.map(\.2)
            guard let state = states.contains(.missing) ? .missing : states.first else { return nil }
            return Hatch.color(state, px: Int(dx), py: Int(dy), scale: canvas.scale)
        }
    }
}

/// A boxed legend in the upper right of an area: a line sample and a label per entry.
enum Legend {
    static func draw(_ canvas: Canvas, in area: Rect, style: PlotStyle, entries: [(String, RGBA, [Double])]) {
        guard !entries.isEmpty else { return }
        let size = style.tickFontSize, row = size * 1.6, sample = 26.0
        let width = entries.map { canvas.textWidth($0.0, size: size) }.max()! + sample + 20
        let box = Rect(x: area.maxX - width - 8, y: area.y + 8, width: width, height: Double(entries.count) * row + 8)
        canvas.fill(box, RGBA(1, 1, 1, 0.88))
        canvas.stroke(box, RGBA(0.7, 0.7, 0.7), lineWidth: 0.8)
        for (i, entry) in entries.enumerated() {
            let y = box.y + 4 + row * (Double(i) + 0.5)
            canvas.polyline([(box.x + 6, y), (box.x + 6 + sample, y)], entry.1, width: 2, dash: entry.2)
            canvas.text(entry.0, x: box.x + sample + 12, y: y, size: size, alignY: 0.5)
        }
    }
}
