import XCTest
import LandscapeRender

final class ContourTests: XCTestCase {
    private func plainOptions(levels: [Double]) -> GridPlotOptions {
        var o = GridPlotOptions()
        o.levels = levels; o.labelContours = false; o.markCentre = false; o.colorbar = false
        o.style.width = 420; o.style.height = 400
        return o
    }

    /// z = x² + y²: the level r² is the circle of radius r; its pixels lie on it and cover it.
    func testParaboloidContourLiesOnTheCircleOfTheLevelRadius() throws {
        let axis = linspace(-1, 1, 41)
        let grid = try Grid2D(x: axis, y: axis) { x, y in x * x + y * y }
        let radius = 0.6
        let plot = try GridPlot.render(grid, kind: .contour, options: plainOptions(levels: [radius * radius]))
        let image = try DecodedImage(png: plot.png)
        let panel = plot.panels[0], area = panel.plotArea
        let pixelsPerUnit = area.width / 2
        // Every coloured pixel inside the frame is within 2.5 px of the circle (chords of 0.05-wide cells
        // sag inside the circle by at most r(1 − cos(δθ/2)) < 0.003, far below a pixel).
        var linePixels = 0
        for py in Int(area.y) + 3..<Int(area.maxY) - 3 {
            for px in Int(area.x) + 3..<Int(area.maxX) - 3 where !isWhite(image.pixel(px, py)) {
                let x = -1 + (Double(px) + 0.5 - area.x) / pixelsPerUnit, y = 1 - (Double(py) + 0.5 - area.y) / (area.height / 2)
                let r = (x * x + y * y).squareRoot()
                XCTAssertEqual(r, radius, accuracy: 2.5 / pixelsPerUnit, "pixel (\(px), \(py)) at r = \(r)")
                linePixels += 1
            }
        }
        // And the circle is drawn all round: a dark-enough pixel within 1.5 px of 72 points on it.
        for k in 0..<72 {
            let t = Double(k) * 2 * .pi / 72
            let p = panel.pixel(x: radius * cos(t), y: radius * sin(t))
            let near = (-2...2).contains { dx in (-2...2).contains { dy in
                !isWhite(image.pixel(Int(p.x) + dx, Int(p.y) + dy)) } }
            XCTAssertTrue(near, "no line near angle \(k * 5)°")
        }
        XCTAssertGreaterThan(linePixels, Int(2 * .pi * radius * pixelsPerUnit))
    }

    /// Bilinear saddle: corners bl = 1, br = 0, tl = 0, tr = 1; the centre average decides the pairing.
    func testSaddleIsResolvedByTheCellCentreAverage() throws {
        // Centre average 0.5 ≥ 0.5: the high corners (bl, tr) connect, the low corners are cut off.
        let high = try Grid2D(x: [0, 1], y: [0, 1], values: [[1, 0], [0, 1]])
        let cutLow = MarchingSquares.contour(high, level: 0.5).polylines.map(endpoints).sorted { $0.0.x < $1.0.x }
        XCTAssertEqual(cutLow.count, 2)
        assertSegment(cutLow, (0, 0.5), (0.5, 1))   // cuts off tl
        assertSegment(cutLow, (0.5, 0), (1, 0.5))   // cuts off br
        // tr = 0.9: centre average 0.475 < 0.5, so the low corners connect and the high ones are cut off.
        let low = try Grid2D(x: [0, 1], y: [0, 1], values: [[1, 0], [0, 0.9]])
        let cutHigh = MarchingSquares.contour(low, level: 0.5).polylines.map(endpoints)
        XCTAssertEqual(cutHigh.count, 2)
        assertSegment(cutHigh, (0.5, 0), (0, 0.5))                 // cuts off bl
        assertSegment(cutHigh, (1, 0.5 / 0.9), (0.5 / 0.9, 1))     // cuts off tr, crossings at t = 0.5/0.9
    }

    /// z = x·y on a grid whose cells straddle the axes: the level 0.2 is the hyperbola xy = 0.2 in two branches.
    func testSaddleSurfaceContourFollowsTheHyperbola() throws {
        let axis = linspace(-1, 1, 30)
        let grid = try Grid2D(x: axis, y: axis) { x, y in x * y }
        let line = MarchingSquares.contour(grid, level: 0.2)
        XCTAssertEqual(line.polylines.count, 2, "one branch per quadrant pair")
        for polyline in line.polylines {
            for p in polyline {
                XCTAssertGreaterThan(p.x * p.y, 0.2 - 0.005)  // bilinear cells: exact on edges up to interpolation of xy
                XCTAssertLessThan(p.x * p.y, 0.2 + 0.005)
            }
        }
        let plot = try GridPlot.render(grid, kind: .contour, options: plainOptions(levels: [0.2]))
        let image = try DecodedImage(png: plot.png)
        let panel = plot.panels[0]
        XCTAssertFalse(isWhite(image.pixel(panel.pixel(x: 0.5, y: 0.4))))   // 0.5 · 0.4 = 0.2
        XCTAssertFalse(isWhite(image.pixel(panel.pixel(x: -0.4, y: -0.5))))
        XCTAssertTrue(isWhite(image.pixel(panel.pixel(x: -0.5, y: 0.4))), "nothing in the negative quadrants")
    }

    func testReferenceLevelsFollowNumpyArange() throws {
        let axis = linspace(-1, 1, 11)
        let grid = try Grid2D(x: axis, y: axis) { x, y in x * x + y * y }
        var o = plainOptions(levels: [])
        o.levels = nil; o.vmin = 0.1; o.vmax = 10; o.vlevel = 0.5; o.labelContours = true
        // Level 0.6 is a closed loop (r ≈ 0.77); 1.6 (r ≈ 1.26) leaves the square in four corner arcs.
        XCTAssertEqual(MarchingSquares.contour(grid, level: 0.6).polylines.count, 1)
        XCTAssertEqual(MarchingSquares.contour(grid, level: 1.6).polylines.count, 4)
        // np.arange(0.1, 10, 0.5): 0.1, 0.6, …, 9.6 — twenty levels, 10 excluded.
        let levels = try GridPlot.levels(for: [grid], options: o).levels
        XCTAssertEqual(levels.count, 20)
        for (i, level) in levels.enumerated() { XCTAssertEqual(level, 0.1 + 0.5 * Double(i), accuracy: 1e-12) }
        // Automatic levels are nice numbers inside the data range 0…2.
        var automatic = o
        automatic.vmin = nil; automatic.vmax = nil; automatic.vlevel = nil; automatic.levelCount = 5
        XCTAssertEqual(try GridPlot.levels(for: [grid], options: automatic).levels, [0, 0.5, 1, 1.5, 2])
        let plot = try GridPlot.render(grid, kind: .contour, options: o)
        XCTAssertEqual(plot.pixelWidth, 420)
        o.vlevel = 0
        XCTAssertThrowsError(try GridPlot.render(grid, kind: .contour, options: o)) { error in
            XCTAssertTrue("\(error)".contains("vlevel"), "\(error)")
        }
    }

    private func endpoints(_ p: [(x: Double, y: Double)]) -> ((x: Double, y: Double), (x: Double, y: Double)) { (p[0], p[p.count - 1]) }

    private func assertSegment(_ segments: [((x: Double, y: Double), (x: Double, y: Double))], _ a: (Double, Double), _ b: (Double, Double),
                               file: StaticString = #filePath, line: UInt = #line) {
        func close(_ p: (x: Double, y: Double), _ q: (Double, Double)) -> Bool { abs(p.x - q.0) < 1e-12 && abs(p.y - q.1) < 1e-12 }
        XCTAssertTrue(segments.contains { (close($0.0, a) && close($0.1, b)) || (close($0.0, b) && close($0.1, a)) },
                      "no segment \(a)–\(b) in \(segments)", file: file, line: line)
    }
}
