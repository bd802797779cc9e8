import XCTest
import LandscapeRender

final class MissingAndLayoutTests: XCTestCase {
    /// Grey diagonal stripes: every pixel grey, both shades present, constant along the anti-diagonal.
    private func assertHatched(_ image: DecodedImage, _ region: Rect, file: StaticString = #filePath, line: UInt = #line) {
        var shades = Set<Int>()
        for py in Int(region.y) + 2..<Int(region.maxY) - 2 {
            for px in Int(region.x) + 2..<Int(region.maxX) - 2 {
                let p = image.pixel(px, py), q = image.pixel(px + 1, py - 1)
                XCTAssertTrue(p.r == p.g && p.g == p.b, "pixel (\(px), \(py)) not grey: \(p)", file: file, line: line)
                XCTAssertEqual(p.r, q.r, "stripes not diagonal at (\(px), \(py))", file: file, line: line)
                shades.insert(p.r)
            }
        }
        XCTAssertEqual(shades.count, 2, "expected two grey shades, got \(shades.sorted())", file: file, line: line)
        XCTAssertTrue(shades.allSatisfy { $0 > 60 && $0 < 245 }, "\(shades)", file: file, line: line)
    }

    /// A 6×6 bowl with nil and NaN in the top-right 2×2 corner points.
    private func gridWithHole() throws -> Grid2D {
        let axis = linspace(0, 5, 6)
        return try Grid2D(x: axis, y: axis) { x, y in
            if x >= 4 && y >= 4 { return x == 5 && y == 5 ? .nan : nil }
            return x * x + y * y
        }
    }

    func testMissingPointsShowTheHatchInEveryFlatKind() throws {
        let grid = try gridWithHole()
        var o = GridPlotOptions()
        o.style.width = 500; o.style.height = 420; o.markCentre = false
        for kind in [GridPlotKind.heatmap, .filled, .contour] {
            let plot = try GridPlot.render(grid, kind: kind, options: o)
            let image = try DecodedImage(png: plot.png)
            let panel = plot.panels[0]
            // Heatmap: the cells of (4..5, 4..5); contours: the cell 4…5 × 4…5, all of whose corners are missing.
            let a = panel.pixel(x: kind == .heatmap ? 3.6 : 4.05, y: 4.95), b = panel.pixel(x: 4.95, y: kind == .heatmap ? 3.6 : 4.05)
            assertHatched(image, Rect(x: a.x, y: a.y, width: b.x - a.x, height: b.y - a.y))
            // A computed cell far from the hole is not hatched.
            let p = image.pixel(panel.pixel(x: 0.5, y: 0.5))
            XCTAssertFalse(p.r == p.g && p.g == p.b && p.r < 240, "\(kind): computed cell looks grey: \(p)")
        }
    }

    func testSurface3DDrawsTheMeshAndMarksTheCentre() throws {
        let axis = linspace(-1, 1, 25)
        let grid = try Grid2D(x: axis, y: axis) { x, y in x < -0.8 && y < -0.8 ? nil : x * x + y * y }
        var o = GridPlotOptions()
        o.colorbar = false; o.zMax = 1.5
        let plot = try GridPlot.render(grid, kind: .surface3d, options: o)
        let image = try DecodedImage(png: plot.png)
        XCTAssertEqual(image.width, 800); XCTAssertEqual(image.height, 600)
        var coloured = 0, hatch = 0
        for py in stride(from: 0, to: image.height, by: 2) {
            for px in stride(from: 0, to: image.width, by: 2) {
                let p = image.pixel(px, py)
                if p.r == p.g && p.g == p.b && (p.r == 140 || p.r == 219) { hatch += 1 }
                if abs(p.r - p.g) > 40 || abs(p.g - p.b) > 40 { coloured += 1 }
            }
        }
        XCTAssertGreaterThan(coloured, image.width * image.height / 4 / 10, "the mesh covers at least a tenth of the image")
        XCTAssertGreaterThan(hatch, 20, "missing corner drawn hatched")
        // This bowl rises 0.7 box heights over half a box width: from 30° elevation its front rim
        // hides the bottom, so the marker is an outline and the rim is drawn over its centre.
        let marker = try XCTUnwrap(plot.panels[0].centreMarker)
        XCTAssertTrue(plot.panels[0].centreMarkerHidden)
        o.elevation = 70
        let above = try GridPlot.render(grid, kind: .surface3d, options: o)
        XCTAssertFalse(above.panels[0].centreMarkerHidden)
        let m = try DecodedImage(png: above.png).pixel(try XCTUnwrap(above.panels[0].centreMarker))
        XCTAssertTrue(m.r > 200 && m.g < 40 && m.b < 40, "seen from above, the centre marker is a red dot: \(m)")
        let behind = image.pixel(Int(marker.x), Int(marker.y))
        XCTAssertFalse(behind.r > 200 && behind.g < 40 && behind.b < 40, "the rim, not a red dot, covers a hidden centre: \(behind)")
    }

    func testSideBySideHasOnePanelPerGridWithSharedColours() throws {
        let axis = linspace(-1, 1, 11)
        let grids = try [1.0, 2.0, 3.0].map { k in try Grid2D(x: axis, y: axis) { x, y in k * (x * x + y * y) } }
        var o = GridPlotOptions()
        o.style.width = 1200; o.style.height = 450; o.markCentre = false
        let panels = zip(["ReLU", "Swish", "Mish — test acc 91.2 %"], grids).map { GridPanel(title: $0, grid: $1) }
        let plot = try GridPlot.render(panels, kind: .heatmap, options: o)
        XCTAssertEqual(plot.panels.count, 3)
        for (a, b) in zip(plot.panels, plot.panels.dropFirst()) { XCTAssertLessThan(a.plotArea.maxX, b.plotArea.x) }
        let image = try DecodedImage(png: plot.png)
        // One shared scale 0…6: the value 2 is at (1, ±1) in panel 1 and at (1, 0) in panel 2.
        let inFirst = image.pixel(plot.panels[0].pixel(x: 1, y: 1)), inSecond = image.pixel(plot.panels[1].pixel(x: 1, y: 0))
        XCTAssertLessThanOrEqual(colourDistance(inFirst, Colormap.viridis.color(at: 2.0 / 6)), 1)
        XCTAssertLessThanOrEqual(colourDistance(inSecond, Colormap.viridis.color(at: 2.0 / 6)), 1)
        XCTAssertEqual(plot.colorbar?.scale.high, 6)
        // Each title is drawn: dark pixels in the strip above each panel.
        for panel in plot.panels {
            let dark = (Int(panel.plotArea.x)..<Int(panel.plotArea.maxX)).contains { px in
                (Int(panel.plotArea.y) - 30..<Int(panel.plotArea.y) - 4).contains { py in image.pixel(px, py).r < 80 } }
            XCTAssertTrue(dark, "no title above panel at x = \(panel.plotArea.x)")
        }
    }

    func testTransparentBackgroundAndScale() throws {
        let axis = linspace(-1, 1, 5)
        let grid = try Grid2D(x: axis, y: axis) { x, y in x + y }
        var o = GridPlotOptions()
        o.style.transparent = true; o.style.scale = 2; o.style.width = 300; o.style.height = 200
        let image = try DecodedImage(png: GridPlot.render(grid, kind: .contour, options: o).png)
        XCTAssertEqual(image.width, 600); XCTAssertEqual(image.height, 400)
        XCTAssertEqual(image.pixel(0, 0).a, 0)
        XCTAssertEqual(image.pixel(599, 399).a, 0)
        o.style.transparent = false
        let opaque = try DecodedImage(png: GridPlot.render(grid, kind: .contour, options: o).png)
        XCTAssertEqual(opaque.pixel(0, 0).a, 255)
        XCTAssertTrue(isWhite(opaque.pixel(0, 0)))
    }

    func testBadShapesAreReportedByField() {
        XCTAssertThrowsError(try Grid2D(x: [0, 1], y: [0, 1], values: [[1, 2]])) { XCTAssertTrue("\($0)".contains("values")) }
        XCTAssertThrowsError(try Grid2D(x: [0, 1, 1], y: [0, 1], values: [[1, 2, 3], [1, 2, 3]])) { XCTAssertTrue("\($0)".contains("x[2]")) }
        XCTAssertThrowsError(try Curve1D(label: "loss", x: [0, 1], y: [1])) { XCTAssertTrue("\($0)".contains("loss.y")) }
    }
}
