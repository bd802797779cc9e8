import XCTest
import LandscapeRender

final class CurveTests: XCTestCase {
    private func countPixels(_ image: DecodedImage, near colour: RGBA, in region: Rect) -> Int {
        var n = 0
        for py in Int(region.y)..<Int(region.maxY) { for px in Int(region.x)..<Int(region.maxX) where colourDistance(image.pixel(px, py), colour) < 12 { n += 1 } }
        return n
    }

    func testLossAndAccuracyCurvesOnTwoAxesWithGapsHatched() throws {
        let x = linspace(-1, 1, 41)
        let loss = try Curve1D(label: "Mish loss", x: x, y: x.enumerated().map { $0.offset == 30 ? nil : 0.2 + $0.element * $0.element })
        let acc = try Curve1D(label: "Mish accuracy", x: x, y: x.map { 0.9 - 0.3 * $0 * $0 })
        var o = LinePlotOptions()
        o.style.title = "ResNet-20 along the line"
        let plot = try LinePlot.render(left: [loss], right: [acc], options: o)
        let image = try DecodedImage(png: plot.png)
        let panel = plot.panels[0]
        XCTAssertGreaterThan(countPixels(image, near: SeriesPalette.color(0), in: panel.plotArea), 200)
        // The loss at x = 0 (0.2) sits on the left axis scale: near 0.2 ± one line width.
        let p = panel.pixel(x: 0, y: 0.2)
        XCTAssertTrue((-3...3).contains { colourDistance(image.pixel(Int(p.x), Int(p.y) + $0), SeriesPalette.color(0)) < 40 })
        // The missing point x[30] = 0.5 is hatched above the curves.
        let gap = panel.pixel(x: 0.5, y: 0)
        let g = image.pixel(Int(gap.x), Int(panel.plotArea.y) + 5)
        XCTAssertTrue(g.r == g.g && g.g == g.b && g.r < 240, "\(g)")
    }

    func testActivationExplorerMarksTheGivenMinimum() throws {
        let x = linspace(-5, 5, 201)
        // Softplus-like test curve with a hand-placed minimum marker (the maths is the caller's).
        let series = try ActivationSeries(name: "parabola", x: x, f: x.map { ($0 - 1) * ($0 - 1) - 2 }, df: x.map { 2 * ($0 - 1) },
                                          d2f: x.map { _ in 2 }, minimum: (x: 1, value: -2))
        let plot = try ActivationPlot.render([series])
        XCTAssertEqual(plot.panels.count, 3)
        let image = try DecodedImage(png: plot.png)
        let m = plot.panels[0].pixel(x: 1, y: -2)
        XCTAssertLessThanOrEqual(colourDistance(image.pixel(Int(m.x), Int(m.y)), SeriesPalette.color(0)), 10)
        // f″ = 2 everywhere: a horizontal line across the third panel at mid-height.
        let third = plot.panels[2]
        let row = third.pixel(x: 0, y: 2)
        XCTAssertLessThanOrEqual(colourDistance(image.pixel(Int(row.x), Int(row.y)), SeriesPalette.color(0)), 40)
    }

    func testImageGridGreyscaleMapsEachPanelsRangeToBlackAndWhite() throws {
        let axis = linspace(-1, 1, 16)
        let a = try Grid2D(x: axis, y: axis) { x, _ in x }, b = try Grid2D(x: axis, y: axis) { _, y in 10 * y }
        var o = ImageGridOptions()
        o.colormap = nil
        let plot = try ImageGrid.render([GridPanel(title: "ReLU", grid: a), GridPanel(title: "Mish", grid: b)], options: o)
        let image = try DecodedImage(png: plot.png)
        XCTAssertEqual(plot.panels.count, 2)
        XCTAssertEqual(image.pixel(plot.panels[0].pixel(x: -1, y: 0)).r, 0)
        XCTAssertEqual(image.pixel(plot.panels[0].pixel(x: 1, y: 0)).r, 255)
        XCTAssertEqual(image.pixel(plot.panels[1].pixel(x: 0, y: 1)).g, 255)
        XCTAssertEqual(image.pixel(plot.panels[1].pixel(x: 0, y: -1)).g, 0)
    }

    func testRenderBenchmarkReportsEveryKind() throws {
        let results = try RenderBenchmark.run(repeats: 3)
        XCTAssertEqual(results.map(\.kind), GridPlotKind.allCases)
        for r in results {
            XCTAssertGreaterThan(r.medianMilliseconds, 0)
            XCTAssertGreaterThan(r.bytes, 10_000)
            print(r)
        }
    }
}
