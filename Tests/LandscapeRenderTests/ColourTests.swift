import XCTest
import LandscapeRender

final class ColourTests: XCTestCase {
    /// Published hex values of matplotlib's maps at 0, ½ and 1 (viridis #440154 #21918c #fde725,
    /// magma #000004 … #fcfdbf, coolwarm ends #3b4cc0 / #b40426, summer (x, ½ + x/2, 0.4)).
    func testColormapsMatchPublishedAnchors() {
        func hex(_ c: RGBA) -> String { let b = c.bytes; return String(format: "%02x%02x%02x", b.r, b.g, b.b) }
        XCTAssertEqual(hex(Colormap.viridis.color(at: 0)), "440154")
        XCTAssertEqual(hex(Colormap.viridis.color(at: 1)), "fde725")
        XCTAssertEqual(hex(Colormap.magma.color(at: 0)), "000004")
        XCTAssertEqual(hex(Colormap.magma.color(at: 1)), "fcfdbf")
        XCTAssertEqual(hex(Colormap.coolwarm.color(at: 0)), "3b4cc0")
        XCTAssertEqual(hex(Colormap.coolwarm.color(at: 1)), "b40426")
        XCTAssertEqual(hex(Colormap.summer.color(at: 0.5)), String(format: "%02x%02x66", 128, 191))
        // viridis(0.5) lies half way between entries 127 and 128 (#21918c); 8-bit anchors allow ±1.
        XCTAssertLessThanOrEqual(colourDistance((0x21, 0x91, 0x8c, 255), Colormap.viridis.color(at: 0.5)), 1)
    }

    private func heatmapOptions() -> GridPlotOptions {
        var o = GridPlotOptions()
        o.vmin = 0; o.vmax = 1; o.markCentre = false
        o.style.width = 500; o.style.height = 400
        return o
    }

    func testHeatmapCellHasTheColourOfItsValue() throws {
        let values: [[Double?]] = [[0, 0.1, 0.2, 0.3, 0.4], [0.5, 0.6, 0.7, 0.8, 0.9], [1, 0.25, 0.75, 0.33, 0.66], [0.05, 0.95, 0.45, 0.55, 0.15]]
        let grid = try Grid2D(x: [0, 1, 2, 3, 4], y: [10, 20, 30, 40], values: values)
        let plot = try GridPlot.render(grid, kind: .heatmap, options: heatmapOptions())
        let image = try DecodedImage(png: plot.png)
        for (r, row) in values.enumerated() {
            for (c, v) in row.enumerated() {
                let p = image.pixel(plot.panels[0].pixel(x: grid.x[c], y: grid.y[r]))
                XCTAssertLessThanOrEqual(colourDistance(p, Colormap.viridis.color(at: v!)), 1, "cell (\(r), \(c)) value \(v!)")
            }
        }
        // Independent anchors: 0 is #440154, 1 is #fde725.
        XCTAssertEqual(colourDistance(image.pixel(plot.panels[0].pixel(x: 0, y: 10)), RGBA(0x44 / 255.0, 0x01 / 255.0, 0x54 / 255.0)), 0)
        XCTAssertEqual(colourDistance(image.pixel(plot.panels[0].pixel(x: 0, y: 30)), RGBA(0xfd / 255.0, 0xe7 / 255.0, 0x25 / 255.0)), 0)
    }

    func testColourbarSpansVminToVmax() throws {
        let axis = linspace(-1, 1, 9)
        let grid = try Grid2D(x: axis, y: axis) { x, y in 3 + x + y }   // data 1…5, bar fixed at 2…4
        var o = heatmapOptions()
        o.vmin = 2; o.vmax = 4; o.colormap = .magma
        let plot = try GridPlot.render(grid, kind: .heatmap, options: o)
        let image = try DecodedImage(png: plot.png)
        let bar = try XCTUnwrap(plot.colorbar)
        XCTAssertEqual(bar.scale.low, 2); XCTAssertEqual(bar.scale.high, 4)
        // Two pixels in from each end (the frame covers the outermost): the end colours, up to the gradient's slope.
        let cx = Int(bar.area.x + bar.area.width / 2), bottom = Int(bar.area.maxY) - 2, top = Int(bar.area.y) + 2
        XCTAssertLessThanOrEqual(colourDistance(image.pixel(cx, bottom), Colormap.magma.color(at: 0)), 6)
        XCTAssertLessThanOrEqual(colourDistance(image.pixel(cx, top), Colormap.magma.color(at: 1)), 6)
        let t = (bar.area.maxY - (Double(bottom) + 0.5)) / bar.area.height
        XCTAssertLessThanOrEqual(colourDistance(image.pixel(cx, bottom), Colormap.magma.color(at: t)), 1)
        // Clamping: a value below vmin takes the bottom colour in the plot.
        XCTAssertLessThanOrEqual(colourDistance(image.pixel(plot.panels[0].pixel(x: -1, y: -1)), Colormap.magma.color(at: 0)), 1)
    }

    func testLogScalePlacesTheGeometricMeanMidway() throws {
        let grid = try Grid2D(x: [0, 1, 2], y: [0, 1], values: [[0.01, 1, 100], [0.1, 10, 100]])
        var o = heatmapOptions()
        o.vmin = 0.01; o.vmax = 100; o.logScale = true
        let plot = try GridPlot.render(grid, kind: .heatmap, options: o)
        let image = try DecodedImage(png: plot.png)
        let panel = plot.panels[0]
        XCTAssertLessThanOrEqual(colourDistance(image.pixel(panel.pixel(x: 1, y: 0)), Colormap.viridis.color(at: 0.5)), 1)
        XCTAssertLessThanOrEqual(colourDistance(image.pixel(panel.pixel(x: 0, y: 1)), Colormap.viridis.color(at: 0.25)), 1)
        XCTAssertLessThanOrEqual(colourDistance(image.pixel(panel.pixel(x: 1, y: 1)), Colormap.viridis.color(at: 0.75)), 1)
        let ticks = try ValueScale(low: 0.01, high: 100, logarithmic: true).ticks(maximumCount: 6)
        XCTAssertEqual(ticks, [0.01, 0.1, 1, 10, 100])
        o.vmin = 0
        XCTAssertThrowsError(try GridPlot.render(grid, kind: .heatmap, options: o))
    }

    func testNiceTicksAndLabels() {
        XCTAssertEqual(Ticks.linear(low: -1, high: 1, maximumCount: 5), [-1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(Ticks.linear(low: 0.1, high: 10, maximumCount: 6), [2, 4, 6, 8, 10])
        XCTAssertEqual(Ticks.labels([-1, -0.5, 0, 0.5, 1]), ["\u{2212}1", "\u{2212}0.5", "0", "0.5", "1"])
        XCTAssertEqual(Ticks.labels([0, 0.25, 0.5, 0.75]), ["0", "0.25", "0.5", "0.75"])
        XCTAssertEqual(Ticks.labels([2, 4, 6]), ["2", "4", "6"])
        XCTAssertEqual(Ticks.labels([0.01, 0.1, 1, 10, 100]), ["0.01", "0.1", "1", "10", "100"])
        XCTAssertEqual(Ticks.niceStep(span: 7, count: 5), 1)
        XCTAssertEqual(Ticks.niceStep(span: 2.05, count: 4), 0.5)
        // A heatmap's padded axis −1.025…1.025 still gets its five half-unit ticks.
        XCTAssertEqual(Ticks.linear(low: -1.025, high: 1.025, maximumCount: 5), [-1, -0.5, 0, 0.5, 1])
    }
}
