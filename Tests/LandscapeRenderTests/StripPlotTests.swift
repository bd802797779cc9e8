import XCTest
@testable import LandscapeRender

/// Strip plots decoded pixel by pixel: a dot where each value is, the mean as a dark bar, the interval beside it.
final class StripPlotTests: XCTestCase {
    func testDotsMeanAndIntervalAreWhereTheValuesAre() throws {
        let series = try StripSeries(label: "Mish", values: [1, 2, 3], mean: 2, interval: 0.5...3.5)
        var style = PlotStyle()
        style.title = "strip"
        let plot = try StripPlot.render([StripPanel(title: "curvature", yLabel: "d²L", series: [series])], style: style)
        let image = try DecodedImage(png: plot.png)
        XCTAssertEqual(plot.panels.count, 1)
        let panel = plot.panels[0]
        XCTAssertLessThanOrEqual(panel.yRange.lowerBound, 0.5)
        XCTAssertGreaterThanOrEqual(panel.yRange.upperBound, 3.5)
        // The first dot sits a quarter column left of the centre (the spread starts at −0.25), value 1.
        XCTAssertLessThan(colourDistance(image.pixel(panel.pixel(x: 0.25, y: 1)), SeriesPalette.color(0)), 40)
        // The mean: a dark bar across the column at 2; the interval: a dark line at the bar's right end.
        let dark = { (p: (r: Int, g: Int, b: Int, a: Int)) in p.r < 90 && p.g < 90 && p.b < 90 }
        XCTAssertTrue(dark(image.pixel(panel.pixel(x: 0.8, y: 2))))
        XCTAssertTrue(dark(image.pixel(panel.pixel(x: 0.86, y: 3))))
        XCTAssertTrue(dark(image.pixel(panel.pixel(x: 0.86, y: 0.8))))
        XCTAssertTrue(isWhite(image.pixel(panel.pixel(x: 0.8, y: 3))), "nothing drawn off the bar and the dots")
    }

    func testNonFiniteValuesAndEmptyPanelsAreRefused() throws {
        XCTAssertThrowsError(try StripSeries(label: "ReLU", values: [1, .nan]))
        XCTAssertThrowsError(try StripSeries(label: "ReLU", values: [1, 2], hollow: [true]))
        let empty = try StripSeries(label: "ReLU", values: [])
        XCTAssertThrowsError(try StripPlot.render([StripPanel(title: "t", yLabel: "y", series: [empty])], style: PlotStyle())) {
            XCTAssertTrue("\($0)".contains("panel t"), "\($0)")
        }
    }
}
