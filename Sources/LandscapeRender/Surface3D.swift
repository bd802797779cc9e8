import CCairo
import Foundation

/// A lit, shaded 3D mesh of a grid in perspective, drawn back to front (painter's algorithm).
/// z is clipped at `zMax` (default vmax, else the data maximum); on a log scale z is log10(value).
struct SurfacePanel {
    let grid: Grid2D
    let area: Rect
    let levels: ResolvedLevels
    let options: GridPlotOptions
    let xLabel: String, yLabel: String
    /// Drawn on the surface (at the interpolated value of each point), over the mesh.
    var path: PathOverlay?

    /// Camera distance in box units (box half-size 0.5): mild perspective.
    static let cameraDistance = 3.2
    /// Height of the z range relative to the x/y extent of the box.
    static let zAspect = 0.7
    /// Radius of the centre marker in logical pixels.
    static let markerRadius = 5.0

    private let eye: SIMD3<Double>, right: SIMD3<Double>, up: SIMD3<Double>
    private let zLow: Double, zHigh: Double

    init(grid: Grid2D, area: Rect, levels: ResolvedLevels, options: GridPlotOptions, xLabel: String, yLabel: String) throws {
        self.grid = grid; self.area = area; self.levels = levels; self.options = options
        self.xLabel = xLabel; self.yLabel = yLabel
        let az = options.azimuth * .pi / 180, el = options.elevation * .pi / 180
        guard options.azimuth.isFinite, (-90...90).contains(options.elevation) else {
            throw RenderError.invalidOption(name: "elevation", detail: "expected -90...90 degrees, got \(options.elevation)")
        }
        eye = SIMD3(cos(el) * cos(az), cos(el) * sin(az), sin(el))
        right = SIMD3(-sin(az), cos(az), 0)
        up = SIMD3(-sin(el) * cos(az), -sin(el) * sin(az), cos(el))
        let scale = levels.scale
        let top = options.zMax ?? scale.high
        zLow = scale.logarithmic ? log10(scale.low) : scale.low
        zHigh = max(scale.logarithmic ? log10(max(top, scale.low * 1.0001)) : top, zLow + 1e-12)
    }

    /// Box coordinates: x, y in −0.5…0.5, z in −zAspect/2…zAspect/2 (clipped).
    private func box(_ column: Double, _ row: Double, _ value: Double?) -> SIMD3<Double> {
        let x = grid.x, y = grid.y
        let px = (column - x[0]) / (x[x.count - 1] - x[0]) - 0.5
        let py = (row - y[0]) / (y[y.count - 1] - y[0]) - 0.5
        var z = zLow
        if let value {
            let v = levels.scale.logarithmic ? (value > 0 ? log10(value) : zLow) : value
            z = min(max(v, zLow), zHigh)
        }
        return SIMD3(px, py, ((z - zLow) / (zHigh - zLow) - 0.5) * Self.zAspect)
    }

    private func project(_ p: SIMD3<Double>) -> (Double, Double) {
        let f = Self.cameraDistance / (Self.cameraDistance - (p * eye).sum())
        return ((p * right).sum() * f, -(p * up).sum() * f)
    }

    func draw(_ canvas: Canvas) throws -> PanelGeometry {
        // Fit the projected bounding box into the panel.
        let h = Self.zAspect / 2
        let corners = [-0.5, 0.5].flatMap { x in [-0.5, 0.5].flatMap { y in [-h, h].map { SIMD3(x, y, $0) } } }
        let projected = corners.map(project)
        let minX = projected.map(\.0).min()!, maxX = projected.map(\.0).max()!
        let minY = projected.map(\.1).min()!, maxY = projected.map(\.1).max()!
        // Long axis labels ("α (filter-normalized direction 1)") do not fit beside a 3D box: the box
        // carries the symbols, a caption line below it says what they mean.
        let (xSymbol, ySymbol, caption) = Self.splitLabels(xLabel, yLabel)
        let style = options.style
        let fit = caption == nil ? area : area.inset(bottom: style.tickFontSize * 1.8)
        let s = min((fit.width - 60) / (maxX - minX), (fit.height - 40) / (maxY - minY))
        let ox = fit.x + fit.width / 2 - s * (minX + maxX) / 2, oy = fit.y + fit.height / 2 - s * (minY + maxY) / 2
        let toScreen = { (p: SIMD3<Double>) -> (Double, Double) in let q = project(p); return (ox + s * q.0, oy + s * q.1) }

        SurfaceAxes(toScreen: toScreen, eye: eye, zAspect: Self.zAspect, grid: grid,
                    zRange: levels.scale.logarithmic ? pow(10, zLow)...pow(10, zHigh) : zLow...zHigh,
                    log: levels.scale.logarithmic, xLabel: xSymbol, yLabel: ySymbol).drawBack(canvas, style: style)
        if let caption {
            let fit = canvas.fitted(caption, size: style.tickFontSize, width: area.width - 8)
            canvas.text(fit.text, x: area.x + area.width / 2, y: area.maxY - 2, size: fit.size, color: RGBA(0.2, 0.2, 0.2),
                        alignX: 0.5, alignY: 1)
        }

        struct Face { var points: [SIMD3<Double>]; var value: Double?; var fill: PointState; var depth: Double; var cell: (Int, Int) }
        var faces: [Face] = []
        faces.reserveCapacity((grid.rows - 1) * (grid.columns - 1))
        for r in 0..<(grid.rows - 1) {
            for c in 0..<(grid.columns - 1) {
                let indices = [(r, c), (r, c + 1), (r + 1, c + 1), (r + 1, c)]
                let corners = indices.map { grid.value(row: $0.0, column: $0.1) }
                let states = indices.map { grid.state(row: $0.0, column: $0.1) }
                let present = corners.allSatisfy { $0 != nil }
                let points = zip(indices, corners).map { index, v in
                    box(grid.x[index.1], grid.y[index.0], present ? v : nil)
                }
                let centre = points.reduce(SIMD3<Double>(), +) / 4
                let mean = present ? corners.map { $0! }.reduce(0, +) / 4 : nil
                // Without a value: hatched on the floor if a corner is not computed yet, dark grey if all such corners diverged.
                let fill: PointState = present ? .present : states.contains(.missing) ? .missing : .diverged
                faces.append(Face(points: points, value: mean, fill: fill, depth: (centre * eye).sum(), cell: (r, c)))
            }
        }
        faces.sort { $0.depth < $1.depth }   // farthest from the eye first
        let light = simd_normalize(eye + up * 0.8 + right * -0.4)
        let cr = canvas.cr
        cairo_set_line_width(cr, 0.3)
        for face in faces {
            let screen = face.points.map(toScreen)
            cairo_move_to(cr, screen[0].0, screen[0].1)
            for p in screen.dropFirst() { cairo_line_to(cr, p.0, p.1) }
            cairo_close_path(cr)
            guard let value = face.value else {
                if face.fill == .diverged {
                    canvas.setColor(Hatch.diverged)
                    cairo_fill(cr)
                } else {
                    Hatch.fillCurrentPath(canvas)   // not computed: hatched patch on the floor
                }
                continue
            }
            let n = simd_normalize(simd_cross(face.points[2] - face.points[0], face.points[3] - face.points[1]))
            let shade = 0.45 + 0.55 * abs((n * light).sum())
            let base = levels.color(min(value, options.zMax ?? value), options.colormap)
            canvas.setColor(RGBA(base.r * shade, base.g * shade, base.b * shade))
            cairo_fill_preserve(cr)
            canvas.setColor(RGBA(base.r * shade * 0.6, base.g * shade * 0.6, base.b * shade * 0.6, 0.35))
            cairo_stroke(cr)
        }

        var geometry = PanelGeometry(plotArea: area.scaled(canvas.scale), xRange: grid.x[0]...grid.x[grid.columns - 1],
                                     yRange: grid.y[0]...grid.y[grid.rows - 1])
        if options.markCentre, geometry.xRange.contains(0), geometry.yRange.contains(0) {
            // On the surface at the centre's value (on the floor where it has none).
            let marker = box(0, 0, grid.interpolate(x: 0, y: 0))
            // Hidden when a face lies between it and the camera. The faces it lies on (one cell, or
            // the four around a grid point) are skipped: split into triangles, they need not pass
            // exactly through it. Any other face, even the next cell's steep wall, can hide it.
            let camera = eye * Self.cameraDistance
            let ownRows = Self.cells(containing: 0, in: grid.y), ownColumns = Self.cells(containing: 0, in: grid.x)
            let hidden = faces.contains { face in
                !(ownRows.contains(face.cell.0) && ownColumns.contains(face.cell.1))
                    && Self.segmentHits(from: marker, to: camera, quad: face.points)
            }
            let (mx, my) = toScreen(marker)
            cairo_new_path(cr)
            cairo_arc(cr, mx, my, Self.markerRadius, 0, 2 * .pi)
            if hidden {
                // Behind the mesh: only a thin outline, so its place is known but it does not look in front.
                canvas.setColor(RGBA(0.9, 0.05, 0.05, 0.9))
                cairo_set_line_width(cr, 1.6)
                cairo_set_dash(cr, [2.5, 2], 2, 0)
                cairo_stroke(cr)
                cairo_set_dash(cr, nil, 0, 0)
            } else {
                canvas.setColor(RGBA(0.9, 0.05, 0.05))
                cairo_fill_preserve(cr)
                canvas.setColor(.white)
                cairo_set_line_width(cr, 1.5)
                cairo_stroke(cr)
            }
            geometry.centreMarker = (mx * canvas.scale, my * canvas.scale)
            geometry.centreMarkerHidden = hidden
        }
        if let path {
            // Over the mesh, not depth-sorted with it (as matplotlib's 3D trajectory plots): the
            // path follows the surface, so it is where the eye expects it from the usual views.
            let points = zip(path.x, path.y).map { toScreen(box($0, $1, grid.interpolate(x: $0, y: $1))) }
            path.draw(canvas, points: points, clip: area, style: options.style)
            geometry.pathPoints = points.map { ($0 * canvas.scale, $1 * canvas.scale) }
        }
        return geometry
    }
}

extension SurfacePanel {
    /// "α (meaning)" and "β (meaning)" → ("α", "β", and the caption "α: meaning  β: meaning");
    /// labels without a parenthesised meaning stay as they are, with no caption.
    static func splitLabels(_ x: String, _ y: String) -> (String, String, String?) {
        func split(_ label: String) -> (String, String?) {
            guard let open = label.range(of: " ("), label.hasSuffix(")") else { return (label, nil) }
            return (String(label[..<open.lowerBound]), String(label[open.upperBound..<label.index(before: label.endIndex)]))
        }
        let (xs, xm) = split(x), (ys, ym) = split(y)
        guard xm != nil || ym != nil else { return (x, y, nil) }
        let caption = [xm.map { "\(xs): \($0)" }, ym.map { "\(ys): \($0)" }].compactMap { $0 }.joined(separator: "     ")
        return (xs, ys, caption)
    }

    /// The cells i (axis[i]…axis[i+1]) that contain v: one, two where v is a grid coordinate, none outside.
    static func cells(containing v: Double, in axis: [Double]) -> Range<Int> {
        guard let (i, t) = Grid2D.locate(v, in: axis) else { return 0..<0 }
        let tolerance = 1e-9
        if t < tolerance { return max(i - 1, 0)..<(i + 1) }
        if t > 1 - tolerance { return i..<min(i + 2, axis.count - 1) }
        return i..<(i + 1)
    }

    /// Whether the segment a → b crosses the quad (two triangles p0 p1 p2, p0 p2 p3) strictly
    /// between its ends (Möller–Trumbore), so a point lying on the quad's edge does not hide itself.
    static func segmentHits(from a: SIMD3<Double>, to b: SIMD3<Double>, quad p: [SIMD3<Double>]) -> Bool {
        let d = b - a
        for (v0, v1, v2) in [(p[0], p[1], p[2]), (p[0], p[2], p[3])] {
            let e1 = v1 - v0, e2 = v2 - v0
            let h = simd_cross(d, e2)
            let det = (e1 * h).sum()
            guard abs(det) > 1e-12 else { continue }
            let s = a - v0
            let u = (s * h).sum() / det
            guard u >= 0, u <= 1 else { continue }
            let q = simd_cross(s, e1)
            let v = (d * q).sum() / det
            guard v >= 0, u + v <= 1 else { continue }
            let t = (e2 * q).sum() / det
            if t > 1e-6, t < 1 { return true }
        }
        return false
    }
}

private func simd_normalize(_ v: SIMD3<Double>) -> SIMD3<Double> { v / max((v * v).sum().squareRoot(), 1e-300) }
private func simd_cross(_ a: SIMD3<Double>, _ b: SIMD3<Double>) -> SIMD3<Double> {
    SIMD3(a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x)
}
