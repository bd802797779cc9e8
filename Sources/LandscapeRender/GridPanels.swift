import Foundation
import CCairo

/// Draws one grid as contour lines, filled contours or a heatmap inside `axes`.
struct FlatPanel {
    let grid: Grid2D
    let axes: Axes
    let levels: ResolvedLevels
    let options: GridPlotOptions
    var path: PathOverlay? = nil

    /// Heatmap cells are centred on the grid points, so the axes reach half a cell beyond them.
    static func dataRanges(_ grid: Grid2D, kind: GridPlotKind) -> (ClosedRange<Double>, ClosedRange<Double>) {
        guard kind == .heatmap else { return (grid.x.first!...grid.x.last!, grid.y.first!...grid.y.last!) }
        func padded(_ a: [Double]) -> ClosedRange<Double> {
            (a[0] - (a[1] - a[0]) / 2)...(a[a.count - 1] + (a[a.count - 1] - a[a.count - 2]) / 2)
        }
        return (padded(grid.x), padded(grid.y))
    }

    func draw(_ canvas: Canvas, kind: GridPlotKind) throws {
        switch kind {
        case .heatmap: try drawHeatmap(canvas)
        case .filled:
            try drawFilled(canvas)
            drawLines(canvas, kind: kind, color: { _ in RGBA(0, 0, 0, 0.45) }, width: 0.6)
        case .contour:
            try drawMissing(canvas)
            drawLines(canvas, kind: kind, color: { levels.color($0, options.colormap) }, width: 1.4)
        case .surface3d: break
        }
        if options.markCentre, axes.x.low <= 0, axes.x.high >= 0, axes.y.low <= 0, axes.y.high >= 0 {
            let (cx, cy) = axes.point(0, 0)
            canvas.setColor(RGBA(0.85, 0.1, 0.1))
            cairo_new_path(canvas.cr)
            cairo_arc(canvas.cr, cx, cy, 3.5, 0, 2 * .pi)
            cairo_fill(canvas.cr)
        }
        if let path {
            path.draw(canvas, points: zip(path.x, path.y).map { axes.point($0, $1) }, clip: axes.area, style: options.style)
        }
        axes.drawFrame(canvas)
    }

    /// Each pixel takes the colour of the nearest grid point (cells centred on points).
    private func drawHeatmap(_ canvas: Canvas) throws {
        let xEdges = Self.midpoints(grid.x), yEdges = Self.midpoints(grid.y)
        try canvas.raster(axes.area) { dx, dy in
            let (x, y) = axes.data(deviceX: dx, deviceY: dy, scale: canvas.scale)
            let c = ResolvedLevels.band(of: x, edges: xEdges), r = ResolvedLevels.band(of: y, edges: yEdges)
            guard let v = grid.value(row: r, column: c) else {
                return Hatch.color(grid.state(row: r, column: c), px: Int(dx), py: Int(dy), scale: canvas.scale)
            }
            return levels.color(v, options.colormap)
        }
    }

    /// Bilinear interpolation inside each cell, coloured by the level band it falls in.
    private func drawFilled(_ canvas: Canvas) throws {
        let (edges, colors) = levels.bandColors(options.colormap)
        try canvas.raster(axes.area) { dx, dy in
            let (x, y) = axes.data(deviceX: dx, deviceY: dy, scale: canvas.scale)
            if let v = grid.interpolate(x: x, y: y) { return colors[ResolvedLevels.band(of: v, edges: edges)] }
            return noValue(x: x, y: y, dx: dx, dy: dy, scale: canvas.scale) ?? Hatch.color(px: Int(dx), py: Int(dy), scale: canvas.scale)
        }
    }

    /// Cells with a corner without a value (where no line can be drawn): hatched where that
    /// corner is not computed yet, dark grey where it diverged.
    private func drawMissing(_ canvas: Canvas) throws {
        try canvas.raster(axes.area) { dx, dy in
            let (x, y) = axes.data(deviceX: dx, deviceY: dy, scale: canvas.scale)
            return noValue(x: x, y: y, dx: dx, dy: dy, scale: canvas.scale)
        }
    }

    /// The fill at data point (x, y) of a cell with a corner without a value; nil in a complete cell or off the grid.
    private func noValue(x: Double, y: Double, dx: Double, dy: Double, scale: Double) -> RGBA? {
        guard let (c, _) = Grid2D.locate(x, in: grid.x), let (r, _) = Grid2D.locate(y, in: grid.y) else { return nil }
        let c0 = min(c, grid.columns - 2), r0 = min(r, grid.rows - 2)
        return Hatch.color(grid.cellState(row: r0, column: c0, x: x, y: y), px: Int(dx), py: Int(dy), scale: scale)
    }

    /// Iso-lines at every level, then their labels where a curve is long enough to carry one.
    private func drawLines(_ canvas: Canvas, kind: GridPlotKind, color: (Double) -> RGBA, width: Double) {
        cairo_save(canvas.cr)
        cairo_rectangle(canvas.cr, axes.area.x, axes.area.y, axes.area.width, axes.area.height)
        cairo_clip(canvas.cr)
        var curves: [(level: Double, points: [(Double, Double)])] = []
        for level in levels.levels {
            for line in MarchingSquares.contour(grid, level: level).polylines {
                let points = line.map { axes.point($0.x, $0.y) }
                canvas.polyline(points, color(level), width: width)
                curves.append((level, points))
            }
        }
        cairo_restore(canvas.cr)
        if options.labelContours && kind == .contour { ContourLabels.draw(canvas, curves: curves, style: options.style, levels: levels.levels) }
    }

    static func midpoints(_ a: [Double]) -> [Double] {
        // n + 1 edges for n cells, so `band(of:edges:)` can return every cell.
        [-Double.infinity] + zip(a, a.dropFirst()).map { ($0 + $1) / 2 } + [Double.infinity]
    }
}

/// matplotlib-style inline labels: the level's value, upright, along the curve's middle,
/// on a white box; skipped where it would overlap another label or the curve is too short.
enum ContourLabels {
    static func draw(_ canvas: Canvas, curves: [(level: Double, points: [(Double, Double)])], style: PlotStyle, levels: [Double]) {
        let texts = Dictionary(zip(levels, Ticks.labels(levels)), uniquingKeysWith: { a, _ in a })
        var placed: [Rect] = []
        let size = style.tickFontSize * 0.9
        for curve in curves.sorted(by: { length($0.points) > length($1.points) }) {
            guard let text = texts[curve.level] else { continue }
            let width = canvas.textWidth(text, size: size)
            let total = length(curve.points)
            guard total > 3 * width + 20 else { continue }
            // The point at half the length, and the direction there.
            var walked = 0.0, index = 1
            while index < curve.points.count - 1 {
                let step = distance(curve.points[index - 1], curve.points[index])
                if walked + step >= total / 2 { break }
                walked += step; index += 1
            }
            let a = curve.points[max(index - 2, 0)], b = curve.points[min(index + 1, curve.points.count - 1)]
            let mid = curve.points[index]
            var angle = atan2(b.1 - a.1, b.0 - a.0)
            if angle > .pi / 2 { angle -= .pi } else if angle < -.pi / 2 { angle += .pi }
            let box = Rect(x: mid.0 - width / 2 - 3, y: mid.1 - size, width: width + 6, height: 2 * size)
            guard !placed.contains(where: { overlaps($0, box) }) else { continue }
            placed.append(box)
            canvas.text(text, x: mid.0, y: mid.1, size: size, color: RGBA(0.1, 0.1, 0.1), alignX: 0.5, alignY: 0.5,
                        angle: angle, background: RGBA(1, 1, 1, 0.85))
        }
    }

    static func length(_ p: [(Double, Double)]) -> Double { zip(p, p.dropFirst()).reduce(0) { $0 + distance($1.0, $1.1) } }
    static func distance(_ a: (Double, Double), _ b: (Double, Double)) -> Double { ((a.0 - b.0) * (a.0 - b.0) + (a.1 - b.1) * (a.1 - b.1)).squareRoot() }
    static func overlaps(_ a: Rect, _ b: Rect) -> Bool { a.x < b.maxX && b.x < a.maxX && a.y < b.maxY && b.y < a.maxY }
}
