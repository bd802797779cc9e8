import XCTest
import LandscapeRender

/// Pictures that do not distort or hide what they show: equal scales on both axes and in
/// every panel, tick labels without spurious decimals, diverged points distinct from
/// missing ones, and a 3D centre marker that the mesh can hide.
final class HonestPictureTests: XCTestCase {
    private func bowls(_ count: Int, x: [Double], y: [Double]) throws -> [GridPanel] {
        try (0..<count).map { k in
            GridPanel(title: "panel \(k)", grid: try Grid2D(x: x, y: y) { a, b in 0.2 + Double(k + 1) * (a * a + b * b) })
        }
    }

    // MARK: Equal scales

    func testComparedPanelsHaveOneLengthPerUnitOnBothAxesAndInEveryPanel() throws {
        let axis = linspace(-1, 1, 21)
        for (width, height) in [(1400, 500), (900, 700), (800, 600)] {
            for kind in [GridPlotKind.contour, .filled, .heatmap] {
                var o = GridPlotOptions()
                o.style.width = width; o.style.height = height
                let plot = try GridPlot.render(try bowls(3, x: axis, y: axis), kind: kind, options: o)
                let unit = plot.panels[0].plotArea.width / (plot.panels[0].xRange.upperBound - plot.panels[0].xRange.lowerBound)
                for panel in plot.panels {
                    let perX = panel.plotArea.width / (panel.xRange.upperBound - panel.xRange.lowerBound)
                    let perY = panel.plotArea.height / (panel.yRange.upperBound - panel.yRange.lowerBound)
                    XCTAssertEqual(perX, perY, accuracy: 1e-6, "\(kind) at \(width)×\(height): not square")
                    XCTAssertEqual(perX, unit, accuracy: 1e-6, "\(kind) at \(width)×\(height): panels differ in scale")
                    XCTAssertGreaterThanOrEqual(panel.plotArea.x, 0); XCTAssertLessThanOrEqual(panel.plotArea.maxX, Double(width))
                }
                for (a, b) in zip(plot.panels, plot.panels.dropFirst()) { XCTAssertLessThan(a.plotArea.maxX, b.plotArea.x) }
            }
        }
    }

    func testAWideRangeGetsAWidePanelAtTheSameScale() throws {
        let x = linspace(-2, 2, 21), y = linspace(-1, 1, 11)
        var o = GridPlotOptions()
        o.style.width = 1000; o.style.height = 500
        let plot = try GridPlot.render(try bowls(2, x: x, y: y), kind: .contour, options: o)
        for panel in plot.panels { XCTAssertEqual(panel.plotArea.width / panel.plotArea.height, 2, accuracy: 1e-6) }
    }

    func testTheColourbarIsAsTallAsTheDataAreas() throws {
        let axis = linspace(-1, 1, 11)
        var o = GridPlotOptions()
        o.style.width = 1400; o.style.height = 500
        let plot = try GridPlot.render(try bowls(3, x: axis, y: axis), kind: .filled, options: o)
        let bar = try XCTUnwrap(plot.colorbar)
        XCTAssertEqual(bar.area.y, plot.panels[0].plotArea.y, accuracy: 1e-6)
        XCTAssertEqual(bar.area.maxY, plot.panels[0].plotArea.maxY, accuracy: 1e-6)
        XCTAssertGreaterThan(bar.area.x, plot.panels[2].plotArea.maxX)
    }

    // MARK: Tick labels

    func testTickLabelsUseTheFewestDecimalsOfEachValue() {
        XCTAssertEqual(Ticks.labels([0.3, 1, 3, 10, 30, 100, 300]), ["0.3", "1", "3", "10", "30", "100", "300"])
        XCTAssertEqual(Ticks.labels([0.3, 1, 3, 10, 30, 100]), ["0.3", "1", "3", "10", "30", "100"])
        XCTAssertEqual(Ticks.labels([0.5, 1, 1.5, 2]), ["0.5", "1", "1.5", "2"])
        XCTAssertEqual(Ticks.labels([0, 0.25, 0.5]), ["0", "0.25", "0.5"])
        XCTAssertEqual(Ticks.labels([-1, -0.5, 0]), ["\u{2212}1", "\u{2212}0.5", "0"])
    }

    func testTinyAndHugeTicksAreWrittenWithAnExponent() {
        XCTAssertEqual(Ticks.labels([1e-5, 1e-4, 1e-3, 1e-2, 0.1]), ["1e\u{2212}5", "1e\u{2212}4", "0.001", "0.01", "0.1"])
        XCTAssertEqual(Ticks.labels([0, 5e-4, 1e-3, 1.5e-3]), ["0", "5e\u{2212}4", "1e\u{2212}3", "1.5e\u{2212}3"])
        XCTAssertEqual(Ticks.labels([1e5, 2.5e5, 1e6]), ["1e5", "2.5e5", "1e6"])
        XCTAssertEqual(Ticks.labels([-2e-4]), ["\u{2212}2e\u{2212}4"])
    }

    func testLogColourbarTicksHaveNoSpuriousDecimals() throws {
        let scale = try ValueScale(low: 0.17, high: 260, logarithmic: true)
        let labels = Ticks.labels(scale.ticks(maximumCount: 8))
        XCTAssertTrue(labels.contains("100"), "\(labels)")
        XCTAssertFalse(labels.contains { $0.hasSuffix(".0") }, "\(labels)")
    }

    // MARK: Diverged points

    /// 6×6 bowl: the top-right point (5, 5) diverged, the bottom-left (0, 0) not computed.
    private func gridWithDivergedAndMissing() throws -> Grid2D {
        let axis = linspace(0, 5, 6)
        var values = axis.map { y in axis.map { x -> Double? in x * x + y * y } }
        var diverged = axis.map { _ in axis.map { _ in false } }
        values[5][5] = nil; diverged[5][5] = true
        values[0][0] = nil
        return try Grid2D(x: axis, y: axis, values: values, diverged: diverged)
    }

    func testDivergedPointsAreDarkGreyAndMissingOnesHatchedInEveryFlatKind() throws {
        let grid = try gridWithDivergedAndMissing()
        XCTAssertEqual(grid.divergedCount, 1)
        var o = GridPlotOptions()
        o.style.width = 500; o.style.height = 420; o.markCentre = false; o.labelContours = false
        for kind in [GridPlotKind.heatmap, .filled, .contour] {
            let plot = try GridPlot.render(grid, kind: kind, options: o)
            let image = try DecodedImage(png: plot.png)
            let panel = plot.panels[0]
            for (x, y) in [(4.9, 4.9), (4.8, 4.95), (4.95, 4.8)] {
                XCTAssertLessThanOrEqual(colourDistance(image.pixel(panel.pixel(x: x, y: y)), Hatch.diverged), 1, "\(kind) at (\(x), \(y))")
            }
            var shades = Set<Int>()
            for x in stride(from: 0.05, through: 0.4, by: 0.025) {
                let y = 0.1
                let p = image.pixel(panel.pixel(x: x, y: y))
                XCTAssertTrue(p.r == p.g && p.g == p.b, "\(kind): not grey at (\(x), \(y)): \(p)")
                shades.insert(p.r)
            }
            XCTAssertEqual(shades, Set([Int(Hatch.dark.bytes.r), Int(Hatch.light.bytes.r)]), "\(kind): the missing corner is hatched")
        }
    }

    func testADivergedMaskOfTheWrongShapeIsRefused() {
        XCTAssertThrowsError(try Grid2D(x: [0, 1], y: [0, 1], values: [[1, 2], [3, 4]], diverged: [[false, true]])) {
            XCTAssertTrue("\($0)".contains("diverged"), "\($0)")
        }
        XCTAssertThrowsError(try Curve1D(label: "loss", x: [0, 1], y: [1, nil], diverged: [true])) {
            XCTAssertTrue("\($0)".contains("loss.diverged"), "\($0)")
        }
    }

    func testADivergedLinePointIsDarkGrey() throws {
        let x = linspace(-1, 1, 21)
        let loss = try Curve1D(label: "loss", x: x, y: x.indices.map { $0 == 20 ? nil : 1 + x[$0] * x[$0] },
                               diverged: x.indices.map { $0 == 20 })
        let plot = try LinePlot.render(left: [loss])
        let image = try DecodedImage(png: plot.png)
        let panel = plot.panels[0]
        let p = image.pixel(Int(panel.pixel(x: 0.97, y: 0).x), Int(panel.plotArea.y) + 5)
        XCTAssertLessThanOrEqual(colourDistance(p, Hatch.diverged), 1, "\(p)")
    }

    // MARK: 3D centre marker

    /// A shallow bowl (its rim stays below the line of sight from the centre), or where `wall` holds,
    /// the top of the colour range (3); `along` is how far a point lies towards the viewer (the azimuth).
    private func markerPlot(centre: Double, azimuth: Double = -60, elevation: Double = 30,
                            wall: ((_ along: Double) -> Bool)? = nil) throws -> RenderedPlot {
        let axis = linspace(-1, 1, 21)
        let toViewer = (x: cos(azimuth * .pi / 180), y: sin(azimuth * .pi / 180))
        let grid = try Grid2D(x: axis, y: axis) { x, y in
            if x == 0 && y == 0 { return centre }
            let along = toViewer.x * x + toViewer.y * y
            return wall?(along) == true ? 3 : 0.2 + 0.5 * (x * x + y * y)
        }
        var o = GridPlotOptions()
        o.colorbar = false; o.vmin = 0; o.vmax = 3; o.logScale = false
        o.azimuth = azimuth; o.elevation = elevation
        return try GridPlot.render(grid, kind: .surface3d, options: o)
    }

    func testTheCentreMarkerSitsOnTheSurfaceAtTheCentreValue() throws {
        let low = try XCTUnwrap(try markerPlot(centre: 0.2).panels[0].centreMarker)
        let high = try XCTUnwrap(try markerPlot(centre: 2).panels[0].centreMarker)
        XCTAssertEqual(low.x, high.x, accuracy: 8)
        XCTAssertLessThan(high.y, low.y - 20, "a higher centre value puts the marker higher")
        let plot = try markerPlot(centre: 0.2)
        XCTAssertFalse(plot.panels[0].centreMarkerHidden)
        let m = try DecodedImage(png: plot.png).pixel(try XCTUnwrap(plot.panels[0].centreMarker))
        XCTAssertTrue(m.r > 200 && m.g < 40 && m.b < 40, "a visible centre is a red dot: \(m)")
    }

    func testAWallBetweenTheCentreAndTheViewerHidesTheMarker() throws {
        let plot = try markerPlot(centre: 0.2, wall: { $0 > 0.3 && $0 < 0.6 })
        XCTAssertTrue(plot.panels[0].centreMarkerHidden)
        let m = try DecodedImage(png: plot.png).pixel(try XCTUnwrap(plot.panels[0].centreMarker))
        XCTAssertFalse(m.r > 200 && m.g < 40 && m.b < 40, "the wall is drawn over the centre, not a red dot: \(m)")
    }

    /// A low view from the +y side (azimuth 100°, elevation 15°) onto a step rising in the cells just
    /// beyond those around the centre: the first version skipped a 3×3 block of cells and missed it.
    func testAStepInTheNextCellsHidesTheMarker() throws {
        let plot = try markerPlot(centre: 0.2, azimuth: 100, elevation: 15, wall: { $0 > 0.15 })
        XCTAssertTrue(plot.panels[0].centreMarkerHidden)
        XCTAssertFalse(try markerPlot(centre: 0.2, azimuth: 100, elevation: 15).panels[0].centreMarkerHidden)
    }
}
