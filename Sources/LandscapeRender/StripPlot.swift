import CCairo
import Foundation

/// One column of a strip plot: a dot per value (one per seed), and the mean with its interval.
public struct StripSeries: Sendable, Equatable {
    public var label: String
    public var values: [Double]
    /// Dots drawn hollow (e.g. an unbounded width, a lower bound); same count as `values` or empty.
    public var hollow: [Bool]
    public var mean: Double?
    public var interval: ClosedRange<Double>?

    public init(label: String, values: [Double], hollow: [Bool] = [], mean: Double? = nil, interval: ClosedRange<Double>? = nil) throws {
        guard values.allSatisfy(\.isFinite) else { throw RenderError.invalidData(field: "values of \(label)", detail: "expected finite numbers") }
        guard hollow.isEmpty || hollow.count == values.count else {
            throw RenderError.invalidData(field: "hollow of \(label)", detail: "expected \(values.count) flags, got \(hollow.count)")
        }
        self.label = label; self.values = values; self.hollow = hollow; self.mean = mean; self.interval = interval
    }
}

/// A panel of strip plots side by side on one value axis.
public struct StripPanel: Sendable, Equatable {
    public var title: String
    public var yLabel: String
    public var series: [StripSeries]
    public init(title: String, yLabel: String, series: [StripSeries]) { self.title = title; self.yLabel = yLabel; self.series = series }
}

/// Strip plots (one column per series, a dot per value spread sideways so equal values stay
/// visible, a bar for the mean and a line with caps for its interval), panels side by side.
public enum StripPlot {
    public static func render(_ panels: [StripPanel], style: PlotStyle) throws -> RenderedPlot {
        guard !panels.isEmpty else { throw RenderError.invalidData(field: "panels", detail: "expected at least one panel") }
        for panel in panels where panel.series.isEmpty || panel.series.allSatisfy({ $0.values.isEmpty }) {
            throw RenderError.invalidData(field: "panel \(panel.title)", detail: "expected at least one value")
        }
        let canvas = try Canvas(width: style.width, height: style.height, scale: style.scale, transparent: style.transparent, format: style.format)
        let layout = FigureLayout(style: style, panelCount: panels.count, colorbar: false, panelTitles: true)
        layout.drawTitle(canvas, style)
        var geometries: [PanelGeometry] = []
        for (panel, rect) in zip(panels, layout.panels) {
            canvas.text(canvas.fitted(panel.title, size: style.labelFontSize, width: rect.width - 10, bold: true).text,
                        x: rect.x + rect.width / 2, y: rect.y, size: style.labelFontSize, bold: true, alignX: 0.5, alignY: 0)
            let side = style.tickFontSize * 4 + style.labelFontSize * 1.6 + 4
            let area = rect.inset(left: side, top: style.labelFontSize * 1.8 + 6, right: 10, bottom: style.tickFontSize * 1.6 + 12)
            let count = Double(panel.series.count)
            let axes = Axes(area: area, x: try ValueScale(low: 0, high: count), y: try valueScale(panel.series))
            axes.drawFrame(canvas)
            axes.drawYAxis(canvas, style: style, label: panel.yLabel)
            for (i, series) in panel.series.enumerated() {
                let colour = SeriesPalette.color(i)
                let centre = Double(i) + 0.5
                let (cx, _) = axes.point(centre, axes.y.low)
                let fit = canvas.fitted(series.label, size: style.tickFontSize, width: area.width / count - 4)
                canvas.text(fit.text, x: cx, y: area.maxY + Axes.tickLength + 2, size: fit.size, alignX: 0.5, alignY: 0)
                for (j, value) in series.values.enumerated() {
                    // Deterministic spread: golden-ratio offsets within ±0.25 of the column.
                    let offset = (Double(j) * 0.618033988749895).truncatingRemainder(dividingBy: 1) * 0.5 - 0.25
                    let (px, py) = axes.point(centre + offset, value)
                    dot(canvas, px, py, radius: 3.5, colour: colour, hollow: series.hollow.isEmpty ? false : series.hollow[j])
                }
                if let interval = series.interval {
                    let (_, top) = axes.point(centre, interval.upperBound), (_, bottom) = axes.point(centre, interval.lowerBound)
                    let x = cx + area.width / count * 0.36
                    canvas.line(x, top, x, bottom, Axes.axisColor, width: 1.5)
                    canvas.line(x - 5, top, x + 5, top, Axes.axisColor, width: 1.5)
                    canvas.line(x - 5, bottom, x + 5, bottom, Axes.axisColor, width: 1.5)
                }
                if let mean = series.mean {
                    let (_, py) = axes.point(centre, mean)
                    let half = area.width / count * 0.36
                    canvas.line(cx - half, py, cx + half, py, Axes.axisColor, width: 2)
                }
            }
            geometries.append(axes.geometry(scale: canvas.scale))
        }
        return RenderedPlot(data: try canvas.output(title: style.title), format: canvas.format, pixelWidth: canvas.pixelWidth,
                            pixelHeight: canvas.pixelHeight, panels: geometries, colorbar: nil)
    }

    /// The values, means and intervals of a panel with 8 % headroom.
    static func valueScale(_ series: [StripSeries]) throws -> ValueScale {
        let all = series.flatMap { s in s.values + [s.mean, s.interval?.lowerBound, s.interval?.upperBound].compactMap { $0 } }
            .filter(\.isFinite)
        var low = all.min()!, high = all.max()!
        if low == high { (low, high) = (low - max(abs(low) * 0.1, 0.5), high + max(abs(high) * 0.1, 0.5)) }
        let pad = 0.08 * (high - low)
        return try ValueScale(low: low - pad, high: high + pad)
    }

    static func dot(_ canvas: Canvas, _ x: Double, _ y: Double, radius: Double, colour: RGBA, hollow: Bool) {
        cairo_new_path(canvas.cr)
        cairo_arc(canvas.cr, x, y, radius, 0, 2 * .pi)
        canvas.setColor(hollow ? RGBA(1, 1, 1) : colour)
        cairo_fill_preserve(canvas.cr)
        canvas.setColor(colour)
        cairo_set_line_width(canvas.cr, 1.2)
        cairo_stroke(canvas.cr)
    }
}
