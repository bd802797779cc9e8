import CCairo
import Foundation

/// A path drawn over a grid plot (an optimizer's trajectory in the plane of the
/// surface): points in data coordinates, in order, and text beside a few of them.
/// The first point is drawn as a green square (start), the last as a red disc
/// with a white rim (end), every other point as a small white marker.
public struct PathOverlay: Sendable, Equatable {
    public var x: [Double]
    public var y: [Double]
    /// (point index, text), e.g. (12, "epoch 3").
    public var labels: [Label]

    public struct Label: Sendable, Equatable {
        public var index: Int
        public var text: String
        public init(index: Int, text: String) { self.index = index; self.text = text }
    }

    public init(x: [Double], y: [Double], labels: [Label] = []) throws {
        guard x.count == y.count else {
            throw RenderError.invalidData(field: "path.y", detail: "expected \(x.count) values (one per x), got \(y.count)")
        }
        guard x.count >= 2 else { throw RenderError.invalidData(field: "path", detail: "expected at least 2 points, got \(x.count)") }
        for (i, (a, b)) in zip(x, y).enumerated() where !a.isFinite || !b.isFinite {
            throw RenderError.invalidData(field: "path[\(i)]", detail: "expected finite coordinates, got (\(a), \(b))")
        }
        if let bad = labels.first(where: { !x.indices.contains($0.index) }) {
            throw RenderError.invalidData(field: "path.labels", detail: "index \(bad.index): expected 0..<\(x.count)")
        }
        self.x = x; self.y = y; self.labels = labels
    }

    static let lineColor = RGBA(0.08, 0.08, 0.08)
    static let startColor = RGBA(0.1, 0.62, 0.2)
    static let endColor = RGBA(0.9, 0.05, 0.05)

    /// Draws the path through `points` (logical pixels, one per data point), clipped to `clip`.
    func draw(_ canvas: Canvas, points: [(Double, Double)], clip: Rect, style: PlotStyle) {
        let cr = canvas.cr
        cairo_save(cr)
        cairo_rectangle(cr, clip.x, clip.y, clip.width, clip.height)
        cairo_clip(cr)
        // A white halo under a dark line: readable on every colour map.
        canvas.polyline(points, RGBA(1, 1, 1, 0.85), width: 3.6)
        canvas.polyline(points, Self.lineColor, width: 1.6)
        for (px, py) in points.dropFirst().dropLast() {
            cairo_new_path(cr)
            cairo_arc(cr, px, py, 2.4, 0, 2 * .pi)
            canvas.setColor(.white)
            cairo_fill_preserve(cr)
            canvas.setColor(Self.lineColor)
            cairo_set_line_width(cr, 1)
            cairo_stroke(cr)
        }
        if let (sx, sy) = points.first {
            cairo_new_path(cr)
            cairo_rectangle(cr, sx - 5, sy - 5, 10, 10)
            canvas.setColor(Self.startColor)
            cairo_fill_preserve(cr)
            canvas.setColor(.white)
            cairo_set_line_width(cr, 1.5)
            cairo_stroke(cr)
        }
        if let (ex, ey) = points.last {
            cairo_new_path(cr)
            cairo_arc(cr, ex, ey, 5.5, 0, 2 * .pi)
            canvas.setColor(Self.endColor)
            cairo_fill_preserve(cr)
            canvas.setColor(.white)
            cairo_set_line_width(cr, 1.5)
            cairo_stroke(cr)
        }
        // Where a path slows down its labels crowd together: the last one (the end) first, then
        // the others in order, each skipped if it would overlap one already placed.
        let size = style.tickFontSize * 0.9
        var placed: [Rect] = []
        for label in labels.suffix(1) + labels.dropLast() {
            let (px, py) = points[label.index]
            let box = Rect(x: px + 6, y: py - 8 - size, width: canvas.textWidth(label.text, size: size) + 6, height: 2 * size)
            guard !placed.contains(where: { ContourLabels.overlaps($0, box) }) else { continue }
            placed.append(box)
            canvas.text(label.text, x: px + 8, y: py - 8, size: size, color: RGBA(0.05, 0.05, 0.05), alignX: 0, alignY: 0.5,
                        background: RGBA(1, 1, 1, 0.8))
        }
        cairo_restore(cr)
    }
}
