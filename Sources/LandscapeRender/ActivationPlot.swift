import CCairo
import Foundation

/// One activation sampled over a range: f, f′, f″ and (optionally) its lowest point,
/// all computed by the caller (this module knows no activation maths).
public struct ActivationSeries: Sendable {
    public var name: String
    public var x: [Double]
    public var f: [Double], df: [Double], d2f: [Double]
    public var minimum: (x: Double, value: Double)?

    public init(name: String, x: [Double], f: [Double], df: [Double], d2f: [Double], minimum: (x: Double, value: Double)? = nil) throws {
        for (field, values) in [("f", f), ("df", df), ("d2f", d2f)] where values.count != x.count {
            throw RenderError.invalidData(field: "\(name).\(field)", detail: "expected \(x.count) values (one per x), got \(values.count)")
        }
        self.name = name; self.x = x; self.f = f; self.df = df; self.d2f = d2f; self.minimum = minimum
    }
}

/// Activation explorer: three panels (f, f′, f″) with every activation overlaid, a legend,
/// and each given minimum marked and annotated on the f panel.
public enum ActivationPlot {
    public static func render(_ series: [ActivationSeries], style: PlotStyle = ActivationPlot.defaultStyle) throws -> RenderedPlot {
        guard !series.isEmpty else { throw RenderError.invalidData(field: "series", detail: "expected at least one activation") }
        let canvas = try Canvas(width: style.width, height: style.height, scale: style.scale, transparent: style.transparent, format: style.format)
        let layout = FigureLayout(style: style, panelCount: 3, colorbar: false, panelTitles: true)
        layout.drawTitle(canvas, style)
        let titles = ["f(x)", "f\u{2032}(x)", "f\u{2033}(x)"]
        let columns: [KeyPath<ActivationSeries, [Double]>] = [\.f, \.df, \.d2f]
        var geometries: [PanelGeometry] = []
        for (panel, frame) in layout.panels.enumerated() {
            canvas.text(titles[panel], x: frame.x + frame.width / 2, y: frame.y + 2, size: style.labelFontSize, bold: true, alignX: 0.5, alignY: 0)
            let curves = try series.map { try Curve1D(label: $0.name, x: $0.x, y: $0[keyPath: columns[panel]]) }
            let xs = series.flatMap(\.x)
            let xScale = try ValueScale(low: xs.min()!, high: max(xs.max()!, xs.min()! + 1e-12))
            let yScale = try LinePlot.range(curves, fixed: nil, log: false)
            let area = frame.inset(left: style.tickFontSize * 3.5 + 6, top: style.labelFontSize * 1.8 + 4, right: 8,
                                   bottom: style.tickFontSize * 1.6 + style.labelFontSize * 1.6 + 12)
            let axes = Axes(area: area, x: xScale, y: yScale)
            cairo_save(canvas.cr)
            cairo_rectangle(canvas.cr, area.x, area.y, area.width, area.height)
            cairo_clip(canvas.cr)
            // Zero lines: where activations cross and derivatives change sign.
            if yScale.low < 0 && yScale.high > 0 { let (_, y0) = axes.point(xScale.low, 0); canvas.line(area.x, y0, area.maxX, y0, RGBA(0.75, 0.75, 0.75), width: 0.8) }
            if xScale.low < 0 && xScale.high > 0 { let (x0, _) = axes.point(0, yScale.low); canvas.line(x0, area.y, x0, area.maxY, RGBA(0.75, 0.75, 0.75), width: 0.8) }
            for (i, curve) in curves.enumerated() { LinePlot.draw(curve, canvas, axes, color: SeriesPalette.color(i), dash: [], width: 1.8) }
            cairo_restore(canvas.cr)
            if panel == 0 { markMinima(series, canvas, axes, style) }
            axes.drawFrame(canvas)
            axes.drawXAxis(canvas, style: style, label: style.xLabel)
            axes.drawYAxis(canvas, style: style, label: nil)
            if panel == 0 { Legend.draw(canvas, in: area.inset(right: area.width * 0.0), style: style,
                                        entries: series.enumerated().map { ($1.name, SeriesPalette.color($0), []) }) }
            geometries.append(axes.geometry(scale: canvas.scale))
        }
        return RenderedPlot(data: try canvas.output(title: style.title), format: canvas.format, pixelWidth: canvas.pixelWidth, pixelHeight: canvas.pixelHeight,
                            panels: geometries, colorbar: nil)
    }

    public static let defaultStyle: PlotStyle = { var s = PlotStyle(); s.width = 1200; s.height = 420; s.xLabel = "x"; return s }()

    private static func markMinima(_ series: [ActivationSeries], _ canvas: Canvas, _ axes: Axes, _ style: PlotStyle) {
        for (i, s) in series.enumerated() {
            guard let m = s.minimum, axes.x.fraction(m.x).map({ (0...1).contains($0) }) == true,
                  axes.y.fraction(m.value).map({ (0...1).contains($0) }) == true else { continue }
            let (px, py) = axes.point(m.x, m.value)
            cairo_new_path(canvas.cr)
            cairo_arc(canvas.cr, px, py, 4.5, 0, 2 * .pi)
            canvas.setColor(SeriesPalette.color(i))
            cairo_fill_preserve(canvas.cr)
            canvas.setColor(.black)
            cairo_set_line_width(canvas.cr, 1)
            cairo_stroke(canvas.cr)
            let text = "min (" + Ticks.format(m.x, decimals: 4) + ", " + Ticks.format(m.value, decimals: 4) + ")"
            // Stacked above the marker, one line per activation, so they stay inside the panel.
            canvas.text(text, x: px + 8, y: py - 14 - Double(i) * (style.tickFontSize * 1.4), size: style.tickFontSize * 0.95,
                        color: SeriesPalette.color(i), alignX: 0, alignY: 0.5, background: RGBA(1, 1, 1, 0.8))
        }
    }
}
