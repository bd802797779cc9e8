import Foundation

/// The 3D box behind a surface: floor grid, back walls' edges, tick labels on x, y and z.
struct SurfaceAxes {
    let toScreen: (SIMD3<Double>) -> (Double, Double)
    let eye: SIMD3<Double>
    let zAspect: Double
    let grid: Grid2D
    let zRange: ClosedRange<Double>
    let log: Bool
    let xLabel: String, yLabel: String

    func drawBack(_ canvas: Canvas, style: PlotStyle) {
        let h = zAspect / 2
        let edge = RGBA(0.55, 0.55, 0.55), faint = RGBA(0.82, 0.82, 0.82)
        // The back corner is the floor corner farthest from the eye; its walls are drawn.
        let corners = [(-0.5, -0.5), (0.5, -0.5), (0.5, 0.5), (-0.5, 0.5)]
        let back = corners.min { $0.0 * eye.x + $0.1 * eye.y < $1.0 * eye.x + $1.1 * eye.y }!
        let xScale = try? ValueScale(low: grid.x[0], high: grid.x[grid.columns - 1])
        let yScale = try? ValueScale(low: grid.y[0], high: grid.y[grid.rows - 1])
        let zScale = try? ValueScale(low: zRange.lowerBound, high: zRange.upperBound, logarithmic: log)
        func line(_ a: SIMD3<Double>, _ b: SIMD3<Double>, _ c: RGBA, _ w: Double = 0.8) {
            let p = toScreen(a), q = toScreen(b); canvas.line(p.0, p.1, q.0, q.1, c, width: w)
        }
        // Floor and wall grid lines at the ticks.
        if let xScale {
            let ticks = xScale.ticks(maximumCount: 6)
            for (t, text) in zip(ticks, Ticks.labels(ticks)) {
                let u = xScale.fraction(t)! - 0.5
                line(SIMD3(u, -0.5, -h), SIMD3(u, 0.5, -h), faint)
                line(SIMD3(u, back.1, -h), SIMD3(u, back.1, h), faint)
                label(canvas, text, at: SIMD3(u, -back.1 * 1.12, -h), style: style)
            }
            label(canvas, xLabel, at: SIMD3(0, -back.1 * 1.3, -h), style: style, size: style.labelFontSize)
        }
        if let yScale {
            let ticks = yScale.ticks(maximumCount: 6)
            for (t, text) in zip(ticks, Ticks.labels(ticks)) {
                let v = yScale.fraction(t)! - 0.5
                line(SIMD3(-0.5, v, -h), SIMD3(0.5, v, -h), faint)
                line(SIMD3(back.0, v, -h), SIMD3(back.0, v, h), faint)
                label(canvas, text, at: SIMD3(-back.0 * 1.12, v, -h), style: style)
            }
            label(canvas, yLabel, at: SIMD3(-back.0 * 1.3, 0, -h), style: style, size: style.labelFontSize)
        }
        if let zScale {
            let ticks = zScale.ticks(maximumCount: 6)
            for (t, text) in zip(ticks, Ticks.labels(ticks)) {
                let w = (zScale.fraction(t)! - 0.5) * zAspect
                line(SIMD3(back.0, -0.5, w), SIMD3(back.0, 0.5, w), faint)
                line(SIMD3(-0.5, back.1, w), SIMD3(0.5, back.1, w), faint)
                // Labels on the vertical edge nearest the left of the picture.
                label(canvas, text, at: SIMD3(back.0, -back.1, w), style: style, offset: -14)
            }
        }
        for (a, b) in zip(corners, corners.dropFirst() + [corners[0]]) { line(SIMD3(a.0, a.1, -h), SIMD3(b.0, b.1, -h), edge) }
        line(SIMD3(back.0, back.1, -h), SIMD3(back.0, back.1, h), edge)
        line(SIMD3(back.0, -back.1, -h), SIMD3(back.0, -back.1, h), edge)
        line(SIMD3(-back.0, back.1, -h), SIMD3(-back.0, back.1, h), edge)
        line(SIMD3(back.0, back.1, h), SIMD3(back.0, -back.1, h), edge)
        line(SIMD3(back.0, back.1, h), SIMD3(-back.0, back.1, h), edge)
    }

    private func label(_ canvas: Canvas, _ text: String, at p: SIMD3<Double>, style: PlotStyle, size: Double? = nil, offset: Double = 0) {
        let (x, y) = toScreen(p)
        canvas.text(text, x: x + offset, y: y, size: size ?? style.tickFontSize, color: RGBA(0.2, 0.2, 0.2),
                    alignX: offset < 0 ? 1 : 0.5, alignY: 0.5)
    }
}
